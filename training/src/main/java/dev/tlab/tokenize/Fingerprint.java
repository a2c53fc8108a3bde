package dev.tlab.tokenize;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 over a sequence of values, each length-prefixed so that no two sequences hash alike by concatenation. */
final class Fingerprint {

    private final MessageDigest digest = sha256();

    static String of(byte[] bytes) {
        return HexFormat.of().formatHex(sha256().digest(bytes));
    }

    Fingerprint add(int value) {
        digest.update(new byte[] {(byte) (value >>> 24), (byte) (value >>> 16), (byte) (value >>> 8), (byte) value});
        return this;
    }

    Fingerprint add(byte[] bytes) {
        add(bytes.length);
        digest.update(bytes);
        return this;
    }

    Fingerprint add(String text) {
        return add(text.getBytes(StandardCharsets.UTF_8));
    }

    String hex() {
        return HexFormat.of().formatHex(digest.digest());
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("this Java runtime has no SHA-256", e);
        }
    }
}
