package dev.tlab.metrics.tensorboard;

import java.util.Map;

/**
 * TensorBoard's {@code Event} messages (tensorflow/core/util/event.proto and
 * framework/summary.proto), encoded by hand. The field numbers used:
 *
 * <pre>
 *   Event          wall_time = 1 (double), step = 2 (int64), file_version = 3 (string),
 *                  summary = 5 (Summary), session_log = 7 (SessionLog)
 *   Summary        value = 1 (repeated Value)
 *   Summary.Value  tag = 1, simple_value = 2 (float), tensor = 8 (TensorProto), metadata = 9
 *   SummaryMetadata  plugin_data = 1 (PluginData { plugin_name = 1, content = 2 })
 *   TensorProto    dtype = 1 (DT_STRING = 7), tensor_shape = 2 (empty: a scalar), string_val = 8
 *   SessionLog     status = 1 (START = 1)
 * </pre>
 */
public final class Events {

    /** The version record every event file starts with. */
    public static final String FILE_VERSION = "brain.Event:2";

    private static final int DT_STRING = 7;
    private static final int SESSION_START = 1;

    private Events() {}

    public static byte[] fileVersion(double wallTime) {
        return new Protobuf().fixed64(1, wallTime).string(3, FILE_VERSION).toBytes();
    }

    /** One event holding a scalar per tag (as {@code simple_value}), in the map's order. */
    public static byte[] scalars(double wallTime, long step, Map<String, Double> values) {
        Protobuf summary = new Protobuf();
        values.forEach((tag, value) -> summary.message(1, new Protobuf().string(1, tag).fixed32(2, value.floatValue())));
        return event(wallTime, step).message(5, summary).toBytes();
    }

    /**
     * Text for TensorBoard's text plugin: a scalar string tensor tagged with plugin {@code text},
     * rendered as Markdown.
     */
    public static byte[] text(double wallTime, long step, String tag, String markdown) {
        Protobuf pluginData = new Protobuf().string(1, "text");
        Protobuf tensor = new Protobuf().varint(1, DT_STRING).message(2, new Protobuf()).string(8, markdown);
        Protobuf value = new Protobuf().string(1, tag).message(8, tensor).message(9, new Protobuf().message(1, pluginData));
        return event(wallTime, step).message(5, new Protobuf().message(1, value)).toBytes();
    }

    /**
     * A restart at {@code step}: TensorBoard drops what it already loaded at this step and later
     * (the steps a stopped process logged after its last checkpoint), as TensorFlow's own writers do.
     */
    public static byte[] sessionStart(double wallTime, long step) {
        return event(wallTime, step).message(7, new Protobuf().varint(1, SESSION_START)).toBytes();
    }

    /** The step of an encoded event (0 when it has none, as for the version record). */
    public static long step(byte[] event) {
        return Protobuf.readVarint(event, 2, 0);
    }

    /** Whether an encoded event holds scalars (a summary whose first value is a {@code simple_value}). */
    public static boolean hasScalars(byte[] event) {
        byte[] summary = Protobuf.readBytes(event, 5);
        byte[] value = summary == null ? null : Protobuf.readBytes(summary, 1);
        return value != null && Protobuf.hasFixed32(value, 2);
    }

    /** Step 0 is left out, as protobuf leaves out proto3 defaults. */
    private static Protobuf event(double wallTime, long step) {
        Protobuf event = new Protobuf().fixed64(1, wallTime);
        return step == 0 ? event : event.varint(2, step);
    }
}
