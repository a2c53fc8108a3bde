package dev.tlab.chat;

import dev.tlab.errors.ConfigException;
import java.time.ZonedDateTime;
import java.time.format.TextStyle;
import java.util.Locale;

/** Python's {@code datetime.strftime} for the codes chat templates use (C locale). */
final class Strftime {

    private Strftime() {}

    static String format(String format, ZonedDateTime time) {
        StringBuilder out = new StringBuilder();
        for (int i = 0; i < format.length(); i++) {
            char c = format.charAt(i);
            if (c != '%' || i + 1 == format.length()) {
                out.append(c);
                continue;
            }
            char code = format.charAt(++i);
            out.append(switch (code) {
                case 'd' -> two(time.getDayOfMonth());
                case 'm' -> two(time.getMonthValue());
                case 'Y' -> String.valueOf(time.getYear());
                case 'y' -> two(time.getYear() % 100);
                case 'H' -> two(time.getHour());
                case 'I' -> two((time.getHour() + 11) % 12 + 1);
                case 'M' -> two(time.getMinute());
                case 'S' -> two(time.getSecond());
                case 'p' -> time.getHour() < 12 ? "AM" : "PM";
                case 'b' -> time.getMonth().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
                case 'B' -> time.getMonth().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
                case 'a' -> time.getDayOfWeek().getDisplayName(TextStyle.SHORT, Locale.ENGLISH);
                case 'A' -> time.getDayOfWeek().getDisplayName(TextStyle.FULL, Locale.ENGLISH);
                case 'j' -> String.format(Locale.ROOT, "%03d", time.getDayOfYear());
                case '%' -> "%";
                default -> throw new ConfigException("chat template: strftime_now format code %" + code
                        + " is not supported here; supported: %d %m %Y %y %H %I %M %S %p %b %B %a %A %j %%");
            });
        }
        return out.toString();
    }

    private static String two(int value) {
        return String.format(Locale.ROOT, "%02d", value);
    }
}
