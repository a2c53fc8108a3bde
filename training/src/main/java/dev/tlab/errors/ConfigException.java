package dev.tlab.errors;

/** A problem with user input (config, data, checkpoint), reported without a stack trace. */
public class ConfigException extends RuntimeException {

    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
