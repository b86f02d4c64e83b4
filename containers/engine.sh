# The one rule that picks the container engine, sourced by .ci/run (to install what it lacks) and by
# containers/test.sh (to use it): Docker where its daemon answers and it has Compose v2 (`docker compose`);
# otherwise Podman, through its Docker-compatible socket, with Debian's docker-compose.
docker_with_compose() {
    command -v docker >/dev/null && docker info >/dev/null 2>&1 && docker compose version >/dev/null 2>&1
}
