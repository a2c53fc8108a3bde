package dev.tlab.chat;

import java.beans.FeatureDescriptor;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import jinjava.javax.el.ELContext;
import jinjava.javax.el.ELResolver;

/**
 * Python's {@code str} methods that chat templates call ({@code content.startswith('x')},
 * {@code .strip()}, {@code .split()}...). Jinjava would call Java's methods of the same name, where
 * they exist, with Java's meaning ({@code split} takes a regular expression); these answer as
 * Python does. Any other call goes on to Jinjava's own resolver.
 */
final class PythonStrings extends ELResolver {

    private static final String WHITESPACE = " \t\n\r\u000b\f";

    @Override
    public Object invoke(ELContext context, Object base, Object method, Class<?>[] types, Object[] params) {
        if (!(base instanceof String text) || !(method instanceof String name)) {
            return null;
        }
        Object[] args = params == null ? new Object[0] : params;
        Object result = call(text, name, args);
        if (result != NOT_HANDLED) {
            context.setPropertyResolved(true);
        }
        return result == NOT_HANDLED ? null : result;
    }

    private static final Object NOT_HANDLED = new Object();

    private static Object call(String text, String name, Object[] args) {
        return switch (name) {
            case "strip" -> strip(text, chars(args), true, true);
            case "lstrip" -> strip(text, chars(args), true, false);
            case "rstrip" -> strip(text, chars(args), false, true);
            case "startswith" -> args.length == 1 ? text.startsWith(String.valueOf(args[0])) : NOT_HANDLED;
            case "endswith" -> args.length == 1 ? text.endsWith(String.valueOf(args[0])) : NOT_HANDLED;
            case "upper" -> text.toUpperCase(Locale.ROOT);
            case "lower" -> text.toLowerCase(Locale.ROOT);
            case "title" -> title(text);
            case "capitalize" -> text.isEmpty() ? text
                    : text.substring(0, 1).toUpperCase(Locale.ROOT) + text.substring(1).toLowerCase(Locale.ROOT);
            case "split" -> split(text, args);
            case "replace" -> args.length == 2 ? text.replace(String.valueOf(args[0]), String.valueOf(args[1])) : NOT_HANDLED;
            case "find" -> args.length == 1 ? text.indexOf(String.valueOf(args[0])) : NOT_HANDLED;
            case "count" -> args.length == 1 ? count(text, String.valueOf(args[0])) : NOT_HANDLED;
            default -> NOT_HANDLED;
        };
    }

    private static String chars(Object[] args) {
        return args.length == 0 || args[0] == null ? null : String.valueOf(args[0]);
    }

    /** {@code str.strip([chars])}: whitespace when {@code chars} is null. */
    private static String strip(String text, String chars, boolean left, boolean right) {
        String set = chars == null ? WHITESPACE : chars;
        int from = 0;
        int to = text.length();
        while (left && from < to && set.indexOf(text.charAt(from)) >= 0) {
            from++;
        }
        while (right && to > from && set.indexOf(text.charAt(to - 1)) >= 0) {
            to--;
        }
        return text.substring(from, to);
    }

    /** {@code str.split()} on runs of whitespace, or {@code str.split(sep)} on each literal {@code sep}. */
    private static Object split(String text, Object[] args) {
        List<String> parts = new ArrayList<>();
        if (args.length == 0 || args[0] == null) {
            for (String part : text.strip().split("[ \t\n\r\u000b\f]+")) {
                if (!part.isEmpty()) {
                    parts.add(part);
                }
            }
            return parts;
        }
        String separator = String.valueOf(args[0]);
        if (separator.isEmpty() || args.length > 1) {
            return NOT_HANDLED;
        }
        int from = 0;
        for (int at = text.indexOf(separator); at >= 0; at = text.indexOf(separator, from)) {
            parts.add(text.substring(from, at));
            from = at + separator.length();
        }
        parts.add(text.substring(from));
        return parts;
    }

    private static String title(String text) {
        StringBuilder out = new StringBuilder(text.length());
        boolean previousCased = false;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            out.append(previousCased ? Character.toLowerCase(c) : Character.toUpperCase(c));
            previousCased = Character.isLetter(c);
        }
        return out.toString();
    }

    private static int count(String text, String part) {
        if (part.isEmpty()) {
            return text.length() + 1;
        }
        int count = 0;
        for (int at = text.indexOf(part); at >= 0; at = text.indexOf(part, at + part.length())) {
            count++;
        }
        return count;
    }

    @Override
    public Class<?> getCommonPropertyType(ELContext context, Object base) {
        return null;
    }

    @Override
    public Iterator<FeatureDescriptor> getFeatureDescriptors(ELContext context, Object base) {
        return null;
    }

    @Override
    public Class<?> getType(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public Object getValue(ELContext context, Object base, Object property) {
        return null;
    }

    @Override
    public boolean isReadOnly(ELContext context, Object base, Object property) {
        return true;
    }

    @Override
    public void setValue(ELContext context, Object base, Object property, Object value) {}
}
