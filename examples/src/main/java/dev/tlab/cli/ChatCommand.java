package dev.tlab.cli;

import dev.tlab.chat.ChatDataset;
import dev.tlab.chat.ChatSession;
import dev.tlab.chat.ChatTemplate;
import dev.tlab.config.DataConfig;
import dev.tlab.errors.ConfigException;
import dev.tlab.inference.TrainedModel;
import dev.tlab.sample.TokenPicker;
import dev.tlab.train.Devices;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

@Command(
        name = "chat",
        mixinStandardHelpOptions = true,
        description = {
            "Talk to a trained decoder in the terminal: each line you type is a user message; the reply is"
                    + " printed token by token as it is generated.",
            "The whole conversation is rendered with the run's chat template (data.chat_template, the"
                    + " tokenizer_config.json beside data.tokenizer_file, or the default ChatML) every turn; when it"
                    + " outgrows the model's context the oldest turns are dropped, and you are told. The KV cache"
                    + " keeps the conversation's tokens, so a turn runs only what is new through the model.",
            "Type \\n for a line break within a message.",
            "Commands: /reset forgets the conversation; /system TEXT sets the system prompt (/system alone"
                    + " removes it); /quit or end of input (Ctrl-D) ends."
        })
final class ChatCommand implements Callable<Integer> {

    @Spec CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RUN", description = "A run directory (e.g. runs/chat-full) or one checkpoint directory.")
    Path run;

    @Option(names = "--system", description = "A system prompt to start with (default: none).")
    String system;

    @Option(names = "--max-tokens", defaultValue = "200", description = "Longest reply, in tokens (default: ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0.8", description = "Softmax temperature; 0 = greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", defaultValue = "200", description = "Sample only from the k likeliest tokens; 0 = all (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", defaultValue = "1.0", description = "Nucleus sampling mass in (0, 1]; 1 = all (default: ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--no-cache", description = "Recompute the whole conversation for every token instead of using the KV cache (slower; same replies).")
    boolean noCache;

    @Option(names = "--seed", defaultValue = "1337", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Override
    public Integer call() {
        Devices.check("--device", device);
        if (maxTokens < 1) {
            throw new ConfigException("--max-tokens must be >= 1, got " + maxTokens);
        }
        TokenPicker picker = temperature == 0 ? TokenPicker.greedy() : new TokenPicker(temperature, topK, topP, seed);
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        try (TrainedModel model = TrainedModel.load(run, Devices.resolve(device), note -> {
            err.println(note);
            err.flush();
        })) {
            DataConfig data = model.config().data();
            ChatTemplate template = ChatDataset.template(data);
            err.println("chat template: " + template.origin() + (data.isChat() ? ""
                    : " (this run trained on text, not on chat examples: expect it to continue text rather than answer)"));
            err.println("type a message; /reset, /system TEXT, /quit");
            err.flush();
            try (ChatSession session = model.chat(template).cached(!noCache)) {
                session.system(system);
                converse(session, picker, new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)), out,
                        err, model.model().config().context());
            }
        }
        return 0;
    }

    private void converse(ChatSession session, TokenPicker picker, BufferedReader in, PrintWriter out, PrintWriter err,
            int context) {
        while (true) {
            out.print("> ");
            out.flush();
            String line;
            try {
                line = in.readLine();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (line == null || line.strip().equals("/quit") || line.strip().equals("/exit")) {
                out.println();
                out.flush();
                return;
            }
            if (line.isBlank()) {
                continue;
            }
            if (line.strip().equals("/reset")) {
                session.reset();
                err.println("(conversation forgotten)");
                err.flush();
                continue;
            }
            if (line.startsWith("/system")) {
                String text = line.substring("/system".length()).strip();
                session.system(text);
                err.println(text.isEmpty() ? "(system prompt removed)" : "(system prompt set)");
                err.flush();
                continue;
            }
            ChatSession.Reply reply;
            try {
                reply = session.reply(SampleCommand.unescape(line), picker, maxTokens, piece -> {
                    out.print(piece);
                    out.flush();
                });
            } catch (ConfigException e) {
                err.println("(" + e.getMessage() + ")");
                err.flush();
                continue;
            }
            out.println();
            out.flush();
            if (reply.trimmed() > 0) {
                err.printf("(history trimmed: the %d oldest messages were dropped to fit the context of %d tokens)%n",
                        reply.trimmed(), context);
            }
            if (reply.end() == ChatSession.End.CONTEXT) {
                err.printf("(reply cut: the conversation filled the context of %d tokens)%n", context);
            } else if (reply.end() == ChatSession.End.TOKENS) {
                err.printf("(reply cut at --max-tokens %d)%n", maxTokens);
            }
            err.flush();
        }
    }
}
