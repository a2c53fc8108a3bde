package dev.tlab.cli;

import dev.tlab.checkpoint.TrainedModel;
import dev.tlab.train.Devices;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

@Command(
        name = "sample",
        mixinStandardHelpOptions = true,
        description = "Generate text from a trained model (the newest checkpoint of a run).")
final class SampleCommand implements Callable<Integer> {

    @Parameters(index = "0", paramLabel = "RUN", description = "A run directory (e.g. runs/shakespeare-char) or one checkpoint directory.")
    Path run;

    @Option(names = "--prompt", defaultValue = "\n", description = "Text to continue (default: a newline).")
    String prompt;

    @Option(names = "--tokens", defaultValue = "500", description = "Characters to generate (default: ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--temperature", defaultValue = "0.8", description = "Softmax temperature; 0 = greedy (default: ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", defaultValue = "200", description = "Sample only from the k likeliest tokens; 0 = all (default: ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--seed", defaultValue = "1337", description = "Random seed (default: ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--device", defaultValue = "auto", description = "auto, cpu, gpu or gpu:N (default: ${DEFAULT-VALUE}).")
    String device;

    @Override
    public Integer call() {
        Devices.check("--device", device);
        if (tokens < 0 || temperature < 0 || topK < 0) {
            throw new dev.tlab.config.ConfigException("--tokens, --temperature and --top-k must be >= 0");
        }
        try (TrainedModel model = TrainedModel.load(run, Devices.resolve(device))) {
            System.out.println(model.sampler().generate(prompt, tokens, temperature, topK, seed));
        }
        return 0;
    }
}
