# async-profiler's collapsed stacks ("frame;frame;...;leaf count") -> the share of CPU samples per cost centre.
# A sample goes to the first centre that matches, in this order: the kernel before the Java code that made the
# system call, so that "WebClient" means the Java work of the client, not the TCP send it triggered.
BEGIN {
    n = split("JIT compiler|GC|kernel: TCP on loopback, scheduling|metrics (Micrometer)|logging|Redis client|" \
        "vertx-web Router|WebClient|SHA-256, SecureRandom|Vert.x HTTP and Netty|JDK and other", names, "|")
}
{
    count = $NF; stack = substr($0, 1, length($0) - length($NF) - 1); total += count
    if (stack ~ /CompileBroker|C2Compiler|Compilation::|CompilerThread/) c = 1
    else if (stack ~ /GCTaskThread|G1|SerialHeap|GenCollect|ConcurrentGCThread|WorkerThread::run|VM_GC/) c = 2
    else if (stack ~ /_\[k\]$/) c = 3
    else if (stack ~ /io\/micrometer|io\/vertx\/micrometer/) c = 4
    else if (stack ~ /org\/slf4j/) c = 5
    else if (stack ~ /io\/vertx\/redis/) c = 6
    else if (stack ~ /io\/vertx\/ext\/web\/impl\/(Router|RoutingContext|Route)/) c = 7
    else if (stack ~ /io\/vertx\/ext\/web\/client/) c = 8
    else if (stack ~ /sun\/security\/provider|MessageDigest/) c = 9
    else if (stack ~ /io\/netty|io\/vertx\/core/) c = 10
    else c = 11
    by[c] += count
}
END {
    for (i = 1; i <= n; i++) if (by[i]) line = line sprintf("%s%s %.0f %%", line ? ", " : "", names[i], 100 * by[i] / total)
    printf "%s | %.1f s | %s |\n", label, total / 1000, line
}
