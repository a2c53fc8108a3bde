package dev.tlab.chat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.training.ParameterStore;
import dev.tlab.errors.ConfigException;
import dev.tlab.models.DecoderLM;
import dev.tlab.models.ModelConfig;
import dev.tlab.positional.PositionalKind;
import dev.tlab.sample.TokenPicker;
import dev.tlab.tokenize.CharTokenizer;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** A conversation with a (random) decoder: history, trimming, streaming and the KV cache across turns. */
class ChatSessionTest {

    private static final CharTokenizer TOKENIZER = CharTokenizer.fit(
            ChatTemplate.DEFAULT_SOURCE + "abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ?!.,\n");

    private static void withSession(int context, PositionalKind scheme, Consumer<java.util.function.Supplier<ChatSession>> test) {
        Engine.getInstance().setRandomSeed(3);
        try (NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            ModelConfig config = ModelConfig.builder().vocabSize(TOKENIZER.vocabSize()).layers(2).heads(2).dModel(16)
                    .context(context).positional(scheme).build();
            DecoderLM model = DecoderLM.create(config, manager);
            List<ChatSession> open = new ArrayList<>();
            test.accept(() -> {
                ChatSession session = new ChatSession(model, new ParameterStore(manager, false), manager, TOKENIZER,
                        ChatTemplate.defaultTemplate());
                open.add(session);
                return session;
            });
            open.forEach(ChatSession::close);
        }
    }

    @Test
    void cachedRepliesEqualRecomputedOnesAndReuseThePreviousTurns() {
        for (PositionalKind scheme : List.of(PositionalKind.LEARNED, PositionalKind.ROPE)) {
            withSession(512, scheme, sessions -> {
                ChatSession cached = sessions.get();
                ChatSession full = sessions.get().cached(false);
                cached.system("Be brief.");
                full.system("Be brief.");
                String[] turns = {"Who speaks first?", "And then?", "Thank you."};
                int previousPrompt = 0;
                for (int t = 0; t < turns.length; t++) {
                    TokenPicker a = new TokenPicker(1.0, 0, 1.0, 7 + t);
                    TokenPicker b = new TokenPicker(1.0, 0, 1.0, 7 + t);
                    StringBuilder streamed = new StringBuilder();
                    ChatSession.Reply one = cached.reply(turns[t], a, 12, streamed::append);
                    ChatSession.Reply two = full.reply(turns[t], b, 12, piece -> {});
                    assertEquals(two.text(), one.text(), scheme + " turn " + t);
                    assertEquals(one.text(), streamed.toString(), "the pieces streamed make the reply");
                    if (t > 0) {
                        // The previous prompt and reply came from the cache; only this turn's text is computed.
                        assertTrue(one.reused() >= previousPrompt && one.computed() <= 12 + 75, scheme + " turn " + t + ": " + one);
                        assertEquals(0, two.reused());
                    }
                    previousPrompt = one.reused() + one.computed();
                }
                assertEquals(7, cached.messages().size()); // system + 3 user + 3 assistant
            });
        }
    }

    @Test
    void historyIsTrimmedWhenItOutgrowsTheContext() {
        withSession(128, PositionalKind.ROPE, sessions -> {
            ChatSession session = sessions.get();
            TokenPicker picker = TokenPicker.greedy();
            ChatSession.Reply first = session.reply("hi", picker, 8, piece -> {});
            assertEquals(0, first.trimmed());
            // 52 characters of template around "hi" and the generation prompt, then 8 of reply: the second
            // turn's rendering no longer leaves 8 tokens free in 128, so the first turn goes.
            ChatSession.Reply second = session.reply("hello", picker, 8, piece -> {});
            assertEquals(2, second.trimmed());
            assertEquals(List.of("user", "assistant"), session.messages().stream().map(ChatTemplate.Message::role).toList());
            assertEquals("hello", session.messages().get(0).content());

            String tooLong = "x".repeat(200);
            var e = assertThrows(ConfigException.class, () -> session.reply(tooLong, picker, 8, piece -> {}));
            assertTrue(e.getMessage().startsWith("the message is too long"), e.getMessage());
            assertEquals(2, session.messages().size(), "the refused message is not kept");

            session.reset();
            assertEquals(List.of(), session.messages());
            session.system("S");
            assertEquals(List.of(new ChatTemplate.Message("system", "S")), session.messages());
        });
    }

    @Test
    void theTurnEndsAtTheTemplatesEndMarkerWhichIsNeverShown() {
        withSession(64, PositionalKind.ROPE, sessions -> assertEquals(List.of("<|im_end|>"), sessions.get().stops()));
        List<String> stops = List.of("<|im_end|>", "</s>");
        assertEquals(5, ChatSession.stopAt("Hello<|im_end|>\n", stops));
        assertEquals(2, ChatSession.stopAt("Hi</s><|im_end|>", stops));
        assertEquals(-1, ChatSession.stopAt("Hello <|im_en", stops));
        // A tail that may grow into a stop text is held back; so is a character still incomplete.
        assertEquals(6, ChatSession.safeLength("Hello <|im_en", stops));
        assertEquals(5, ChatSession.safeLength("Hello<", stops));
        assertEquals(5, ChatSession.safeLength("Hello\uFFFD", stops));
        assertEquals(8, ChatSession.safeLength("Hello <a", stops));
    }
}
