package dockercoins.shared;

import java.net.BindException;
import java.net.SocketException;

/** Why a service could not start, in one line for its user: what went wrong and what to do, no stack trace. */
public final class FailedStart {

    private FailedStart() {
    }

    /** One line that tells a user why start-up failed, without a stack trace for their mistake. */
    public static String explain(Throwable failure) {
        if (failure instanceof SocketException && String.valueOf(failure.getMessage()).contains("Permission denied")) {
            return "this user may not listen on a port below 1024 (" + failure.getMessage() + "): allow it with the "
                + "sysctl net.ipv4.ip_unprivileged_port_start=0 (the images need it only under no_new_privs, i.e. "
                + "allowPrivilegeEscalation: false, or with every capability dropped; compose.yaml and the Kubernetes "
                + "manifests set it), or set PORT to 1024 or above";
        }
        if (failure instanceof BindException) {
            return "the port is already in use or cannot be bound (" + failure.getMessage() + "); set PORT to a free port";
        }
        return failure.getMessage() == null ? failure.toString() : failure.getMessage();
    }
}
