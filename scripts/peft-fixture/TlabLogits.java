import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tlab.inference.TrainedModel;
import java.nio.file.Path;

/**
 * tlab's logits for the ids of a fixture's expected.json, from a run's newest checkpoint (a LoRA run's
 * through its base), written as {"ids": [...], "logits": [[...], ...]} for peft_lora.py check:
 *
 *   java -cp "examples/target/tlab.jar:examples/target/lib/*" scripts/peft-fixture/TlabLogits.java RUN EXPECTED.json OUT.json
 */
public class TlabLogits {
    public static void main(String[] args) throws Exception {
        ObjectMapper json = new ObjectMapper();
        JsonNode ids = json.readTree(Path.of(args[1]).toFile()).get("ids");
        long[] tokens = new long[ids.size()];
        for (int i = 0; i < tokens.length; i++) {
            tokens[i] = ids.get(i).asLong();
        }
        try (TrainedModel model = TrainedModel.load(Path.of(args[0]), Device.cpu());
                NDManager manager = NDManager.newBaseManager(Device.cpu())) {
            float[] logits = model.decoder().forward(new ParameterStore(manager, false),
                    manager.create(tokens, new Shape(1, tokens.length)), false).toFloatArray();
            ObjectNode out = json.createObjectNode();
            out.set("ids", ids);
            var rows = out.putArray("logits");
            int vocab = logits.length / tokens.length;
            for (int t = 0; t < tokens.length; t++) {
                var row = rows.addArray();
                for (int v = 0; v < vocab; v++) {
                    row.add(logits[t * vocab + v]);
                }
            }
            json.writeValue(Path.of(args[2]).toFile(), out);
        }
    }
}
