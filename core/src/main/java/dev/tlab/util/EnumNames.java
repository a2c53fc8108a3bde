package dev.tlab.util;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** Config enums are written in lower case; this parses them with an error naming the key. */
public final class EnumNames {

    private EnumNames() {}

    public static <E extends Enum<E>> E parse(Class<E> type, String key, String value) {
        for (E constant : type.getEnumConstants()) {
            if (constant.toString().equals(value == null ? null : value.toLowerCase(Locale.ROOT))) {
                return constant;
            }
        }
        throw new IllegalArgumentException(
                key + ": unknown value '" + value + "'; allowed: " + allowed(type));
    }

    public static String allowed(Class<? extends Enum<?>> type) {
        return Arrays.stream(type.getEnumConstants())
                .map(Object::toString)
                .collect(Collectors.joining(", "));
    }
}
