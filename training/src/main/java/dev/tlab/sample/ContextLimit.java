package dev.tlab.sample;

import dev.tlab.util.EnumNames;
import java.util.Locale;

/** What decoding does when the text fills the model's context window. */
public enum ContextLimit {
    /** End generation: prompt plus output never exceed {@code model.context} tokens. */
    STOP,
    /**
     * Keep the newest half of the window, rebuild the KV cache from it, and go on (as llama.cpp
     * does), so a rebuild costs one forward over half a window every half window of tokens.
     */
    SLIDE;

    @Override
    public String toString() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static ContextLimit parse(String value) {
        return EnumNames.parse(ContextLimit.class, "sample.context_limit", value);
    }
}
