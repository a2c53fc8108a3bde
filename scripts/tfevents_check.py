#!/usr/bin/python3
"""Checks tlab's TensorBoard event files without tlab's code.

  python3 scripts/tfevents_check.py golden OUT   write the golden file the tests compare tlab's writer with
  python3 scripts/tfevents_check.py read FILE... print every event of event files, checking the framing

The messages are built and parsed with Google's protobuf runtime (Debian's python3-protobuf) from
descriptors declared here with TensorFlow's field numbers (tensorflow/core/util/event.proto,
framework/summary.proto, tensor.proto, tensor_shape.proto), and the TFRecord framing and its
masked CRC32C are written out below from the format's definition, so neither shares code with
tlab's Java writer.
"""
import struct
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, message_factory

F = descriptor_pb2.FieldDescriptorProto


def _messages():
    fd = descriptor_pb2.FileDescriptorProto(name="tfevents.proto", package="tensorflow", syntax="proto3")

    def message(name, fields):
        m = fd.message_type.add(name=name)
        for number, field, kind, label, type_name in fields:
            f = m.field.add(name=field, number=number, type=kind, label=label)
            if type_name:
                f.type_name = ".tensorflow." + type_name
        return m

    opt, rep = F.LABEL_OPTIONAL, F.LABEL_REPEATED
    message("TensorShapeProto", [])
    message("TensorProto", [(1, "dtype", F.TYPE_INT32, opt, None),
                            (2, "tensor_shape", F.TYPE_MESSAGE, opt, "TensorShapeProto"),
                            (8, "string_val", F.TYPE_BYTES, rep, None)])
    message("PluginData", [(1, "plugin_name", F.TYPE_STRING, opt, None), (2, "content", F.TYPE_BYTES, opt, None)])
    message("SummaryMetadata", [(1, "plugin_data", F.TYPE_MESSAGE, opt, "PluginData")])
    message("SummaryValue", [(1, "tag", F.TYPE_STRING, opt, None), (2, "simple_value", F.TYPE_FLOAT, opt, None),
                             (8, "tensor", F.TYPE_MESSAGE, opt, "TensorProto"),
                             (9, "metadata", F.TYPE_MESSAGE, opt, "SummaryMetadata")])
    message("Summary", [(1, "value", F.TYPE_MESSAGE, rep, "SummaryValue")])
    message("SessionLog", [(1, "status", F.TYPE_INT32, opt, None)])
    message("Event", [(1, "wall_time", F.TYPE_DOUBLE, opt, None), (2, "step", F.TYPE_INT64, opt, None),
                      (3, "file_version", F.TYPE_STRING, opt, None), (5, "summary", F.TYPE_MESSAGE, opt, "Summary"),
                      (7, "session_log", F.TYPE_MESSAGE, opt, "SessionLog")])
    pool = descriptor_pool.DescriptorPool()
    pool.Add(fd)
    get = message_factory.GetMessageClass if hasattr(message_factory, "GetMessageClass") \
        else message_factory.MessageFactory(pool).GetPrototype
    return {n: get(pool.FindMessageTypeByName("tensorflow." + n)) for n in ("Event", "SessionLog")}


MESSAGES = _messages()
Event = MESSAGES["Event"]
DT_STRING = 7


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(data):
    crc = crc32c(data)
    return ((((crc >> 15) | (crc << 17)) & 0xFFFFFFFF) + 0xA282EAD8) & 0xFFFFFFFF


def record(event):
    data = event.SerializeToString()
    length = struct.pack("<Q", len(data))
    return length + struct.pack("<I", masked(length)) + data + struct.pack("<I", masked(data))


def read(path):
    blob = open(path, "rb").read()
    at, events = 0, []
    while at < len(blob):
        length_bytes = blob[at:at + 8]
        (length,) = struct.unpack("<Q", length_bytes)
        (length_crc,) = struct.unpack("<I", blob[at + 8:at + 12])
        assert length_crc == masked(length_bytes), f"{path}: bad length CRC at byte {at}"
        data = blob[at + 12:at + 12 + length]
        (data_crc,) = struct.unpack("<I", blob[at + 12 + length:at + 16 + length])
        assert data_crc == masked(data), f"{path}: bad data CRC at byte {at}"
        event = Event()
        event.ParseFromString(data)
        events.append(event)
        at += 16 + length
    return events


def golden():
    """The events EventFileTest writes with tlab's writer: wall time 1700000000.5, host 'golden'."""
    wall = 1700000000.5
    events = [Event(wall_time=wall, file_version="brain.Event:2")]
    e = Event(wall_time=wall, step=1)
    e.summary.value.add(tag="loss/train", simple_value=2.5)
    e.summary.value.add(tag="train/lr", simple_value=0.001)
    events.append(e)
    e = Event(wall_time=wall, step=2)
    v = e.summary.value.add(tag="config")
    v.metadata.plugin_data.plugin_name = "text"
    v.tensor.dtype = DT_STRING
    v.tensor.tensor_shape.SetInParent()
    v.tensor.string_val.append("```\ntrain:\n  lr: 0.001\n```".encode())
    events.append(e)
    e = Event(wall_time=wall, step=300)
    e.session_log.status = 1  # START
    events.append(e)
    return b"".join(record(e) for e in events)


if __name__ == "__main__":
    assert crc32c(b"123456789") == 0xE3069283, "CRC32C check value"
    if sys.argv[1] == "golden":
        open(sys.argv[2], "wb").write(golden())
    else:
        for path in sys.argv[2:]:
            for event in read(path):
                print(path, str(event).replace("\n", " "))
