package dev.tlab.cli;

import static dev.tlab.cli.Outcome.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** tlab chat driven by a scripted stdin: replies, /system, /reset, trimming, the end of input. */
class ChatCommandTest {

    @TempDir Path dir;

    private Outcome chat(String stdin, String... args) {
        InputStream before = System.in;
        System.setIn(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)));
        try {
            List<String> all = new ArrayList<>(List.of("chat"));
            all.addAll(List.of(args));
            return run(all);
        } finally {
            System.setIn(before);
        }
    }

    @Test
    void aScriptedConversation() throws Exception {
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            lines.add("{\"messages\": [{\"role\": \"system\", \"content\": \"Say it\"}, {\"role\": \"user\", \"content\":"
                    + " \"Say " + (i % 4) + "\"}, {\"role\": \"assistant\", \"content\": \"" + (i % 4) + "!\"}]}");
        }
        Path data = Files.write(dir.resolve("say.jsonl"), lines);
        Outcome train = run("train", "../configs/shakespeare-char.yaml", "--set", "output.dir=" + dir, "--set", "name=talk",
                "--set", "train.device=cpu", "--set", "data.format=chat", "--set", "data.path=" + data, "--set",
                "model.layers=1", "--set", "model.d_model=32", "--set", "model.heads=2", "--set", "model.context=160",
                "--set", "train.batch_size=2", "--set", "train.steps=2", "--set", "train.eval_every=2", "--set",
                "train.eval_batches=1", "--set", "sample.tokens=0");
        assertEquals(0, train.code(), train.err());
        Path runDir = dir.resolve("talk");

        Outcome talk = chat("Say 1\n\n/system Say it\nSay 2\nSay 3\n/reset\nSay 0\n" + "Say ".repeat(30) + "\n",
                runDir.toString(), "--temperature", "0", "--max-tokens", "8", "--device", "cpu");
        assertEquals(0, talk.code(), talk.err());
        assertTrue(talk.err().contains("chat template: the default (ChatML) template"), talk.err());
        assertTrue(talk.err().contains("(system prompt set)"), talk.err());
        assertTrue(talk.err().contains("(conversation forgotten)"), talk.err());
        // 160 positions: with the system prompt, the second and third turns no longer fit beside the one before.
        assertTrue(talk.err().contains("(history trimmed: the 2 oldest messages were dropped to fit the context of 160 tokens)"),
                talk.err());
        assertTrue(talk.err().contains("(the message is too long"), talk.err());
        Outcome unknown = chat("Say \u00e9\n", runDir.toString(), "--device", "cpu");
        assertEquals(0, unknown.code(), unknown.err());
        assertTrue(unknown.err().contains("is not in the vocabulary"), unknown.err());
        // One prompt per line read, and one more at the end of input.
        assertEquals(9, talk.out().split("> ", -1).length - 1, talk.out());
        assertTrue(talk.out().endsWith("> \n"), talk.out());

        Outcome again = chat("Say 1\nSay 2\n", runDir.toString(), "--temperature", "0", "--max-tokens", "8", "--device", "cpu");
        Outcome recomputed = chat("Say 1\nSay 2\n", runDir.toString(), "--temperature", "0", "--max-tokens", "8",
                "--device", "cpu", "--no-cache");
        assertEquals(again.out(), recomputed.out(), "the KV cache gives the same replies");
    }

    @Test
    void badFlagsAreNamed() {
        Outcome tokens = chat("", dir.toString(), "--max-tokens", "0", "--device", "cpu");
        assertEquals(2, tokens.code());
        assertTrue(tokens.err().startsWith("error: --max-tokens must be >= 1"), tokens.err());
        assertTrue(run("chat", "--help").out().contains("/system TEXT"));
        Outcome prepare = run("prepare", "../configs/chat-full.yaml");
        assertEquals(2, prepare.code());
        assertTrue(prepare.err().startsWith("error: data.format = chat needs no preparing"), prepare.err());
    }
}
