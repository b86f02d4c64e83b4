package dockercoins.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.KubernetesResource;

import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.*;

/**
 * Kubernetes objects read with the fabric8 model, strictly: an unknown kind or a field the model does not know
 * (a typo, a wrong indentation, a field of another version) is an error, not ignored.
 */
final class KubernetesModel {

    private KubernetesModel() {
    }

    /** Every object of a (multi-document) YAML text. */
    static List<HasMetadata> read(String yaml, String origin) {
        List<HasMetadata> objects = new ArrayList<>();
        for (JsonNode document : Repo.yamlDocuments(yaml, origin)) {
            String what = origin + " (" + document.path("kind").asText() + " " + document.at("/metadata/name")
                    .asText() + ")";
            KubernetesResource resource;
            try {
                resource = Repo.YAML.treeToValue(document, KubernetesResource.class);
            } catch (Exception e) {
                throw new AssertionError(what + " does not fit the Kubernetes model: " + e.getMessage(), e);
            }
            if (resource instanceof GenericKubernetesResource || !(resource instanceof HasMetadata object)) {
                throw new AssertionError(what + ": not a kind the Kubernetes model knows");
            }
            List<String> unknown = new ArrayList<>();
            collectUnknownFields(object, object.getKind(), unknown);
            if (!unknown.isEmpty()) {
                throw new AssertionError(what + " has fields the Kubernetes model does not know: " + unknown);
            }
            objects.add(object);
        }
        return objects;
    }

    /** Walks the model's getters; every additionalProperties map found must be empty. */
    private static void collectUnknownFields(Object value, String path, List<String> unknown) {
        if (value instanceof Collection<?> items) {
            int i = 0;
            for (Object item : items) {
                collectUnknownFields(item, path + "[" + i++ + "]", unknown);
            }
        } else if (value instanceof Map<?, ?> map) {
            map.forEach((key, item) -> collectUnknownFields(item, path + "." + key, unknown));
        } else if (value != null && value.getClass().getName().startsWith("io.fabric8.")) {
            for (Method getter : value.getClass().getMethods()) {
                if (getter.getParameterCount() > 0 || Modifier.isStatic(getter.getModifiers())
                    || !getter.getName().startsWith("get") || getter.getDeclaringClass() == Object.class) {
                    continue;
                }
                Object field;
                try {
                    field = getter.invoke(value);
                } catch (ReflectiveOperationException e) {
                    continue;  // a computed getter (e.g. Quantity's numerical amount), not a field
                }
                if (getter.getName().equals("getAdditionalProperties")) {
                    ((Map<?, ?>) field).keySet().forEach(key -> unknown.add(path + "." + key));
                } else {
                    collectUnknownFields(field, path + "." + getter.getName().substring(3), unknown);
                }
            }
        }
    }
}
