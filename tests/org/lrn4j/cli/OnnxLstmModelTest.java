package org.lrn4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

/** The protobuf wire format of the hand-written ONNX model, byte for byte on small messages. */
class OnnxLstmModelTest {
    /** The examples of the protocol buffers encoding guide: field 1 = 150, field 2 = "testing". */
    @Test
    void varintAndStringFields() {
        assertArrayEquals(bytes(0x08, 0x96, 0x01), new ProtoWriter().varint(1, 150).toByteArray());
        assertArrayEquals(bytes(0x12, 0x07, 't', 'e', 's', 't', 'i', 'n', 'g'),
                new ProtoWriter().string(2, "testing").toByteArray());
    }

    @Test
    void negativeVarintsTakeTenBytesAndLargeFieldNumbersTwo() {
        assertArrayEquals(bytes(0xA0, 0x01, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x01),
                new ProtoWriter().varint(20, -1).toByteArray());
        assertThrows(IllegalArgumentException.class, () -> new ProtoWriter().varint(0, 1));
    }

    /** TensorProto {dims: 2, data_type: FLOAT, name: "W", raw_data: 1.0f, -2.0f little-endian}. */
    @Test
    void tensorWithRawData() {
        assertArrayEquals(bytes(0x08, 0x02, 0x10, 0x01, 0x42, 0x01, 'W', 0x4A, 0x08,
                        0x00, 0x00, 0x80, 0x3F, 0x00, 0x00, 0x00, 0xC0),
                OnnxLstmModel.tensor("W", new float[] {1f, -2f}, 2).toByteArray());
    }

    /** ValueInfoProto {name: "X", type: {tensor_type: {elem_type: FLOAT, shape: {dim: [3], [300]}}}}. */
    @Test
    void valueInfoWithShape() {
        assertArrayEquals(bytes(0x0A, 0x01, 'X', 0x12, 0x0F, 0x0A, 0x0D, 0x08, 0x01, 0x12, 0x09,
                        0x0A, 0x02, 0x08, 0x03, 0x0A, 0x03, 0x08, 0xAC, 0x02),
                OnnxLstmModel.valueInfo("X", 3, 300).toByteArray());
    }

    private static byte[] bytes(int... values) {
        byte[] b = new byte[values.length];
        for (int i = 0; i < values.length; i++) {
            b[i] = (byte) values[i];
        }
        return b;
    }
}
