# async-profiler's collapsed stacks ("frame;frame;...;leaf count") -> the share of CPU samples per cost centre.
# The compiler and GC threads first, then the kernel before the Java code that made the system call, so that
# "WebClient" means the Java work of the client, not the TCP send it triggered. Otherwise a sample goes to the
# library of the frame nearest its leaf that belongs to one: a hash computed or a response written in a
# handler that the Router called counts as SHA-256 or as Vert.x HTTP, not as the Router.
BEGIN {
    n = split("JIT compiler|GC|kernel: TCP on loopback, scheduling|metrics (Micrometer)|logging|Redis client|" \
        "vertx-web Router|WebClient|SHA-256, SecureRandom|Vert.x HTTP and Netty|DockerCoins code|JDK and other", names, "|")
}
{
    count = $NF; stack = substr($0, 1, length($0) - length($NF) - 1); total += count
    if (stack ~ /CompileBroker|C2Compiler|Compilation::|CompilerThread/) c = 1
    else if (stack ~ /GCTaskThread|G1|SerialHeap|GenCollect|ConcurrentGCThread|WorkerThread::run|VM_GC/) c = 2
    else if (stack ~ /_\[k\]$/) c = 3
    else c = library(stack)
    by[c] += count
}
function library(stack,    frames, i, f) {
    for (i = split(stack, frames, ";"); i > 0; i--) {
        f = frames[i]
        if (f ~ /io\/micrometer|io\/vertx\/micrometer/) return 4
        if (f ~ /org\/slf4j/) return 5
        if (f ~ /io\/vertx\/redis/) return 6
        if (f ~ /io\/vertx\/ext\/web\/impl\/(Router|RoutingContext|Route)/) return 7
        if (f ~ /io\/vertx\/ext\/web\/client/) return 8
        if (f ~ /sun\/security\/provider|MessageDigest/) return 9
        if (f ~ /io\/netty|io\/vertx\/core/) return 10
        if (f ~ /^dockercoins\//) return 11
    }
    return 12
}
END {
    for (i = 1; i <= n; i++) if (by[i]) line = line sprintf("%s%s %.0f %%", line ? ", " : "", names[i], 100 * by[i] / total)
    printf "%s | %.1f s | %s |\n", label, total / 1000, line
}
