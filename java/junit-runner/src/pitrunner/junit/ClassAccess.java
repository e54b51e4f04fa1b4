package pitrunner.junit;

import java.nio.ByteBuffer;

/**
 * Opens a solution class file to code outside its package: package-private and protected classes,
 * fields and methods become public (private stays private). The solution and the instructor's tests
 * are defined by two class loaders, so the JVM sees two run-time packages even where the sources share
 * one, and a test calling a package-private method of the solution (exercism's tests do: {@code class
 * Leap}) would fail with an IllegalAccessError. Widening access keeps every call that compiled legal.
 */
final class ClassAccess {
    private static final int PUBLIC = 0x0001;
    private static final int PRIVATE = 0x0002;
    private static final int PROTECTED = 0x0004;

    private ClassAccess() {}

    /** A copy of {@code bytes} with access widened; the bytes unchanged when they are no class file this reads. */
    static byte[] widened(byte[] bytes) {
        byte[] copy = bytes.clone();
        try {
            ByteBuffer in = ByteBuffer.wrap(copy);
            if (in.getInt() != 0xCAFEBABE) return bytes;
            in.position(8);
            skipConstantPool(in);
            widen(in, in.position());              // the class
            in.position(in.position() + 2 + 2 + 2);  // access, this, super
            skip(in, 2 * Short.toUnsignedInt(in.getShort()));  // interfaces
            for (int kind = 0; kind < 2; kind++) {  // fields, then methods
                int count = Short.toUnsignedInt(in.getShort());
                for (int i = 0; i < count; i++) {
                    widen(in, in.position());
                    in.position(in.position() + 6);  // access, name, descriptor
                    skipAttributes(in);
                }
            }
            skipAttributes(in);
            return in.position() == copy.length ? copy : bytes;  // read to its exact end, or not understood
        } catch (RuntimeException malformed) {
            return bytes;  // the JVM's verifier says what is wrong with it
        }
    }

    private static void widen(ByteBuffer in, int at) {
        int flags = Short.toUnsignedInt(in.getShort(at));
        if ((flags & PRIVATE) == 0) in.putShort(at, (short) ((flags & ~PROTECTED) | PUBLIC));
    }

    private static void skipConstantPool(ByteBuffer in) {
        int count = Short.toUnsignedInt(in.getShort());
        for (int i = 1; i < count; i++) {
            int tag = in.get();
            switch (tag) {
                case 1 -> skip(in, Short.toUnsignedInt(in.getShort()));                      // Utf8
                case 7, 8, 16, 19, 20 -> in.position(in.position() + 2);                   // Class, String, MethodType, Module, Package
                case 15 -> in.position(in.position() + 3);                                 // MethodHandle
                case 3, 4, 9, 10, 11, 12, 17, 18 -> in.position(in.position() + 4);
                case 5, 6 -> {                                                             // Long, Double take two slots
                    in.position(in.position() + 8);
                    i++;
                }
                default -> throw new IllegalArgumentException("constant pool tag " + tag);
            }
        }
    }

    /** Moves past {@code bytes} more (read the length first: it moves the position too). */
    private static void skip(ByteBuffer in, int bytes) {
        in.position(in.position() + bytes);
    }

    private static void skipAttributes(ByteBuffer in) {
        int count = Short.toUnsignedInt(in.getShort());
        for (int i = 0; i < count; i++) {
            in.position(in.position() + 2);
            skip(in, in.getInt());
        }
    }
}
