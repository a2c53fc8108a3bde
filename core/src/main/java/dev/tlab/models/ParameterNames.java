package dev.tlab.models;

import java.util.regex.Pattern;

/** Turns DJL's {@code 03h.0_02attn_01qkv_weight} into {@code h.0.attn.qkv.weight}. */
public final class ParameterNames {

    private static final Pattern CHILD_INDEX = Pattern.compile("^\\d+");

    private ParameterNames() {}

    /** Child block names never start with a digit, so the leading digits are DJL's index. */
    public static String clean(String djlName) {
        String[] parts = djlName.split("_");
        StringBuilder name = new StringBuilder();
        for (String part : parts) {
            if (!name.isEmpty()) {
                name.append('.');
            }
            name.append(CHILD_INDEX.matcher(part).replaceFirst(""));
        }
        return name.toString();
    }
}
