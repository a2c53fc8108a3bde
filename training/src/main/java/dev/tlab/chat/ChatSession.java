package dev.tlab.chat;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import dev.tlab.attention.KvCache;
import dev.tlab.errors.ConfigException;
import dev.tlab.layers.Precision;
import dev.tlab.models.DecoderLM;
import dev.tlab.sample.TokenPicker;
import dev.tlab.tokenize.Tokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Consumer;

/**
 * A conversation with a decoder: each user message is added to the history, the whole history is
 * rendered with the chat template (and its generation prompt), and the reply is generated token by
 * token until the text that ends a turn. When the rendering outgrows the context, the oldest turns
 * are dropped (and the caller told). The KV cache holds the tokens of the previous turns; a new
 * prompt that begins with the same tokens runs only its new ones through the model.
 */
public final class ChatSession implements AutoCloseable {

    /** Why a reply ended. */
    public enum End { END_OF_TURN, TOKENS, CONTEXT }

    /**
     * @param text the reply, without the text that ends the turn
     * @param reused prompt tokens whose keys and values came from the cache
     * @param computed prompt tokens run through the model for this reply
     * @param trimmed earlier messages dropped from the history to make room
     */
    public record Reply(String text, int tokens, End end, int reused, int computed, int trimmed) {}

    private final DecoderLM model;
    private final ParameterStore ps;
    private final NDManager manager;
    private final Tokenizer tokenizer;
    private final ChatTemplate template;
    private final List<String> stops;
    private final List<ChatTemplate.Message> history = new ArrayList<>();
    private String system;
    private KvCache cache;
    private int[] cached = new int[0];
    private boolean useCache = true;

    public ChatSession(DecoderLM model, ParameterStore ps, NDManager manager, Tokenizer tokenizer, ChatTemplate template) {
        this.model = model;
        this.ps = ps;
        this.manager = manager;
        this.tokenizer = tokenizer;
        this.template = template;
        List<String> ends = new ArrayList<>();
        String endOfTurn = template.endOfTurn();
        if (!endOfTurn.isEmpty()) {
            ends.add(endOfTurn);
        }
        String eos = template.specialTokens().getOrDefault("eos_token", "");
        if (!eos.isEmpty() && !ends.contains(eos)) {
            ends.add(eos);
        }
        this.stops = List.copyOf(ends);
    }

    /** Whether to keep the KV cache across tokens and turns (the default) or recompute every token's window: the reference. */
    public ChatSession cached(boolean useCache) {
        this.useCache = useCache;
        return this;
    }

    /** The texts that end a reply: what the template writes after one, and eos_token. */
    public List<String> stops() {
        return stops;
    }

    /** Forgets the conversation (the system prompt stays). */
    public void reset() {
        history.clear();
    }

    /** A system prompt before every rendering; null or empty for none. */
    public void system(String text) {
        system = text == null || text.isEmpty() ? null : text;
    }

    /** The messages the next rendering starts from, the system prompt first. */
    public List<ChatTemplate.Message> messages() {
        List<ChatTemplate.Message> all = new ArrayList<>();
        if (system != null) {
            all.add(new ChatTemplate.Message("system", system));
        }
        all.addAll(history);
        return all;
    }

    /**
     * Adds {@code user} to the history and generates the reply, which is added too.
     *
     * @param maxTokens at most this many reply tokens; the prompt keeps room for them (up to half the context)
     * @param onText hears the reply as it grows, a piece at a time
     * @throws ConfigException if the message alone (with the system prompt) does not fit the context;
     *     it is not added to the history
     */
    public Reply reply(String user, TokenPicker picker, int maxTokens, Consumer<String> onText) {
        int context = model.config().context();
        int room = Math.max(1, Math.min(maxTokens, context / 2));
        List<ChatTemplate.Message> alone = new ArrayList<>(system == null ? List.of()
                : List.of(new ChatTemplate.Message("system", system)));
        alone.add(new ChatTemplate.Message("user", user));
        int needed = tokenizer.encode(template.render(alone, true)).length;
        if (needed + room > context) {
            throw new ConfigException("the message is too long: with the system prompt and the template it takes "
                    + needed + " tokens, and a reply needs " + room + " more within model.context = " + context);
        }
        history.add(new ChatTemplate.Message("user", user));
        int[] prompt;
        int trimmed = 0;
        while (true) {
            prompt = tokenizer.encode(template.render(messages(), true));
            int drop = prompt.length + room <= context ? 0 : oldestTurn();
            if (drop == 0) {
                break;
            }
            history.subList(0, drop).clear();
            trimmed += drop;
        }
        int reused = reuse(prompt);
        int computed = prompt.length - reused;
        int[] ids = Arrays.copyOf(prompt, context);
        int length = prompt.length;
        String text = "";
        int shown = 0;
        End end = End.TOKENS;
        float[] logits = forward(Arrays.copyOfRange(prompt, reused, prompt.length));
        int generated = 0;
        while (true) {
            int id = picker.pick(logits);
            ids[length++] = id;
            generated++;
            text = tokenizer.decode(Arrays.copyOfRange(ids, prompt.length, length));
            int stop = stopAt(text, stops);
            if (stop >= 0) {
                text = text.substring(0, stop);
                end = End.END_OF_TURN;
                break;
            }
            int safe = safeLength(text, stops);
            if (safe > shown) {
                onText.accept(text.substring(shown, safe));
                shown = safe;
            }
            if (generated >= maxTokens) {
                break;
            }
            if (length >= context) {
                end = End.CONTEXT;
                break;
            }
            logits = useCache ? forward(new int[] {id}) : forward(Arrays.copyOf(ids, length));
        }
        if (text.length() > shown) {
            onText.accept(text.substring(shown));
        }
        history.add(new ChatTemplate.Message("assistant", text));
        return new Reply(text, generated, end, reused, computed, trimmed);
    }

    /** Messages to drop to lose the oldest turn: through the first assistant reply; 0 if only the new message is left. */
    private int oldestTurn() {
        for (int i = 0; i < history.size() - 1; i++) {
            if (history.get(i).role().equals("assistant")) {
                // Drop up to the next user message, so the history still opens with one.
                int next = i + 1;
                while (next < history.size() - 1 && !history.get(next).role().equals("user")) {
                    next++;
                }
                return next;
            }
        }
        return history.size() > 1 ? history.size() - 1 : 0;
    }

    /** Keeps the cached tokens that begin {@code prompt} (at most all but its last); returns how many. */
    private int reuse(int[] prompt) {
        int common = 0;
        int limit = Math.min(cached.length, prompt.length - 1);
        while (common < limit && cached[common] == prompt[common]) {
            common++;
        }
        if (cache == null || common == 0 || !useCache) {
            closeCache();
            cache = new KvCache(manager);
            cached = new int[0];
            return 0;
        }
        cache.truncate(common);
        cached = Arrays.copyOf(cached, common);
        return common;
    }

    /** Next-token logits after feeding {@code tokens} on top of the cache, which then holds them. */
    private float[] forward(int[] tokens) {
        if (!useCache) {
            reuse(new int[] {-1});
        }
        try (NDScope ignored = new NDScope()) {
            long[] input = Arrays.stream(tokens).asLongStream().toArray();
            NDArray logits = model.forward(ps, manager.create(input, new Shape(1, input.length)), cache, false);
            int[] grown = Arrays.copyOf(cached, cached.length + tokens.length);
            System.arraycopy(tokens, 0, grown, cached.length, tokens.length);
            cached = grown;
            return Precision.widen(logits.get(0, input.length - 1)).toFloatArray();
        }
    }

    /** Where the first stop text begins in {@code text}, or -1. */
    static int stopAt(String text, List<String> stops) {
        int first = -1;
        for (String stop : stops) {
            int at = text.indexOf(stop);
            if (at >= 0 && (first < 0 || at < first)) {
                first = at;
            }
        }
        return first;
    }

    /**
     * How much of {@code text} can be shown: not a tail that may be the start of a stop text, nor a
     * replacement character that the next token may complete into a whole one.
     */
    static int safeLength(String text, List<String> stops) {
        int safe = text.length();
        while (safe > 0 && text.charAt(safe - 1) == '\uFFFD') {
            safe--;
        }
        for (String stop : stops) {
            for (int k = Math.min(stop.length() - 1, safe); k > 0; k--) {
                if (text.startsWith(stop.substring(0, k), safe - k)) {
                    safe = Math.min(safe, safe - k);
                    break;
                }
            }
        }
        return safe;
    }

    private void closeCache() {
        if (cache != null) {
            cache.close();
            cache = null;
        }
    }

    @Override
    public void close() {
        closeCache();
    }
}
