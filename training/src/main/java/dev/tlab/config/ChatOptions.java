package dev.tlab.config;

import dev.tlab.util.EnumNames;
import java.util.Locale;

/**
 * The values of the chat keys ({@code data.format}, {@code data.loss_on}, {@code data.overlong},
 * {@code data.packing}): how a run reads chat and instruction examples.
 */
public final class ChatOptions {

    private ChatOptions() {}

    /** What {@code data.path} holds. */
    public enum Format {
        TEXT, CHAT;

        public static Format parse(String value) {
            return EnumNames.parse(Format.class, "data.format", value);
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Which tokens the loss counts. */
    public enum LossOn {
        ANSWERS, ALL;

        public static LossOn parse(String value) {
            return EnumNames.parse(LossOn.class, "data.loss_on", value);
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** An example longer than {@code model.context + 1} tokens. */
    public enum Overlong {
        TRUNCATE, DROP;

        public static Overlong parse(String value) {
            return EnumNames.parse(Overlong.class, "data.overlong", value);
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** How examples share windows. */
    public enum Packing {
        PACK, PAD;

        public static Packing parse(String value) {
            return EnumNames.parse(Packing.class, "data.packing", value);
        }

        @Override
        public String toString() {
            return name().toLowerCase(Locale.ROOT);
        }
    }
}
