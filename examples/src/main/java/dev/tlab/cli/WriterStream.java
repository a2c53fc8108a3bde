package dev.tlab.cli;

import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A {@link PrintStream} that writes to a command's {@link PrintWriter}, for library code that
 * reports progress on a stream (the trainer, an ablation), so it prints where the command does.
 */
final class WriterStream extends OutputStream {

    private final PrintWriter writer;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPLACE)
            .onUnmappableCharacter(CodingErrorAction.REPLACE);
    // The start of a character whose remaining bytes have not been written yet.
    private byte[] pending = new byte[0];

    private WriterStream(PrintWriter writer) {
        this.writer = writer;
    }

    static PrintStream over(PrintWriter writer) {
        return new PrintStream(new WriterStream(writer), true, StandardCharsets.UTF_8);
    }

    @Override
    public void write(int b) {
        write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] bytes, int offset, int length) {
        ByteBuffer in = ByteBuffer.allocate(pending.length + length).put(pending).put(bytes, offset, length).flip();
        CharBuffer out = CharBuffer.allocate(in.remaining());
        decoder.decode(in, out, false);
        writer.write(out.array(), 0, out.position());
        pending = new byte[in.remaining()];
        in.get(pending);
    }

    @Override
    public void flush() {
        writer.flush();
    }
}
