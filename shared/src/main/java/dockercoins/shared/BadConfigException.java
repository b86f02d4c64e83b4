package dockercoins.shared;

/** A configuration value a user got wrong; its message is the one line printed at start-up. */
public final class BadConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public BadConfigException(String message) {
        super(message, null, false, false);
    }
}
