{{/* Labels of every object and pod: app=<name> (the only selector, as `kubectl create deployment` makes it)
plus the recommended ones, as manifests/base sets them. */}}
{{- define "dockercoins.labels" -}}
app: {{ . }}
app.kubernetes.io/name: {{ . }}
app.kubernetes.io/part-of: dockercoins
{{- end }}

{{/* The objects of a file of manifests/components (symlinked under files/), with the label the base adds to
every object and pod template: the chart and kustomize apply one and the same file. */}}
{{- define "dockercoins.component" -}}
{{- range $doc := regexSplit "(?m)^---\\s*$" (.Files.Get .file) -1 }}
{{- $object := fromYaml $doc }}
{{- if $object }}
{{- $partOf := dict "app.kubernetes.io/part-of" "dockercoins" }}
{{- $_ := set $object.metadata "labels" (merge (default dict $object.metadata.labels) $partOf) }}
{{- if and $object.spec (hasKey $object.spec "template") }}
{{- $_ := set $object.spec.template.metadata "labels" (merge $object.spec.template.metadata.labels $partOf) }}
{{- end }}
---
{{ toYaml $object }}
{{- end }}
{{- end }}
{{- end }}

{{/* REDIS_URL for worker and webui: with the password (REDIS_PASSWORD, set first) when Redis asks for one. */}}
{{- define "dockercoins.redisUrl" -}}
- name: REDIS_URL
  value: redis://{{ if .Values.redis.auth.enabled }}:$(REDIS_PASSWORD)@{{ end }}redis:6379
{{- end }}

{{/* components/config: a service's settings, from manifests/components/config/<service>.env, overridden by
.Values.config.<service>; as YAML (key: "value"). Called with (dict "root" $ "name" <service>). */}}
{{- define "dockercoins.configData" -}}
{{- $data := dict }}
{{- range $line := splitList "\n" (.root.Files.Get (printf "files/components/config/%s.env" .name)) }}
{{- if and $line (not (hasPrefix "#" $line)) }}
{{- $pair := regexSplit "=" $line 2 }}
{{- $_ := set $data (first $pair) (last $pair) }}
{{- end }}
{{- end }}
{{- range $key, $value := index .root.Values.config .name }}
{{- $_ := set $data $key (toString $value) }}
{{- end }}
{{- toYaml $data }}
{{- end }}
