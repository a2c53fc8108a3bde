package dev.tlab.data;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.tlab.config.ConfigLoader;
import dev.tlab.tokenize.CharTokenizer;
import dev.tlab.train.Trainer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** val_bpb: nats per token, times tokens, in bits, per UTF-8 byte of the validation text. */
class BitsPerByteTest {

    @TempDir Path dir;

    @Test
    void handComputedOnAShortText() {
        // Validation text "é😀a": 3 tokens (code points) in 2 + 4 + 1 = 7 UTF-8 bytes. At 1.5 nats a
        // token: 4.5 nats = 4.5 / ln 2 = 6.49213 bits over 7 bytes = 0.927447 bits per byte.
        CharTokenizer tokenizer = CharTokenizer.fit("xyé😀a");
        LmSplits splits = LmSplits.of(new TokenSplits(tokenizer.encode("xy"), tokenizer.encode("é😀a")), tokenizer);
        assertEquals(7, splits.valBytes());
        assertEquals(0.927447, splits.bitsPerByte(1.5), 1e-6);
    }

    @Test
    void aRunLogsTheFormulaOfItsValidationText() throws Exception {
        // A corpus of 1-, 2-, 3- and 4-byte characters; its last 10% validates.
        String text = "To be, or not to be: café, naïve, 3 € or 4 £, 😀 ok. ".repeat(40);
        Path corpus = Files.writeString(dir.resolve("mixed.txt"), text);
        var config = ConfigLoader.parse("{}", "test.yaml", dir, "t", List.of("name=bpb", "output.dir=" + dir,
                "data.path=" + corpus, "model.layers=1", "model.d_model=16", "model.heads=2", "model.context=16",
                "train.steps=2", "train.batch_size=2", "train.eval_every=2", "train.eval_batches=1", "sample.tokens=0",
                "train.device=cpu", "train.warmup=0"));
        Trainer.Result result = new Trainer(config, null, false).fit();
        int[] codePoints = text.codePoints().toArray();
        int trainLength = (int) Math.round(codePoints.length * 0.9);
        long bytes = 0;
        for (int i = trainLength; i < codePoints.length; i++) {
            int c = codePoints[i];
            bytes += c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
        }
        int tokens = codePoints.length - trainLength;
        double expected = result.valLoss() * tokens / Math.log(2) / bytes;
        assertEquals(expected, result.evalMetrics().get("val_bpb"), 1e-9 * expected);
    }
}
