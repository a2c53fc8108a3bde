package dev.tlab.files;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DurableFilesTest {

    @TempDir Path dir;

    @Test
    void aWrittenFileReportsItsOwnSizeAndHash() throws IOException {
        Path file = dir.resolve("a.txt");
        FileDigest digest = DurableFiles.writeSynced(file, out -> out.write("hello".getBytes(StandardCharsets.UTF_8)));
        assertEquals(5, digest.bytes());
        assertEquals("2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824", digest.sha256());
        assertEquals(digest.sha256(), DurableFiles.sha256(file));
    }

    @Test
    void aDirectoryAppearsOnlyWhenPublishedAndReplacesTheOldOne() throws IOException {
        Path target = dir.resolve("sub/ckpt");
        for (String content : new String[] {"first", "second"}) {
            Path tmp = DurableFiles.freshTemp(target);
            assertEquals(dir.resolve("sub/ckpt.tmp"), tmp);
            DurableFiles.writeSynced(tmp.resolve("f"), out -> out.write(content.getBytes(StandardCharsets.UTF_8)));
            assertFalse(Files.exists(target.resolve("f")) && Files.readString(target.resolve("f")).equals(content));
            DurableFiles.publish(tmp, target);
            assertEquals(content, Files.readString(target.resolve("f")));
        }
        assertFalse(Files.exists(dir.resolve("sub/ckpt.tmp")) || Files.exists(dir.resolve("sub/ckpt.old")));
    }

    @Test
    void aFreshTempDropsWhatAnInterruptedWriteLeft() throws IOException {
        Path target = dir.resolve("ckpt");
        Files.createDirectories(dir.resolve("ckpt.tmp"));
        Files.writeString(dir.resolve("ckpt.tmp/half"), "x");
        Path tmp = DurableFiles.freshTemp(target);
        try (var entries = Files.list(tmp)) {
            assertTrue(entries.findAny().isEmpty());
        }
    }
}
