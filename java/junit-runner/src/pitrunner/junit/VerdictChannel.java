package pitrunner.junit;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.lang.reflect.Field;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The runner's verdict channel (src/grading/verdict.ts): a 32-byte key read once from descriptor 7,
 * and one signed record a line on descriptor 8, {@code hex(HMAC-SHA256(key, json)) + " " + json}.
 * Both are sockets the runner opens for the test command, so no path reaches them: the descriptors are
 * wrapped by reflection (the helper's command line opens java.io to it), before any solution class is
 * loaded; the key then lives only in this object, which solution code cannot reach (no reflection
 * past access checks, no FileDescriptor streams: see {@link Confinement}).
 */
final class VerdictChannel {
    static final int KEY_FD = 7;
    static final int RECORD_FD = 8;
    private static final int KEY_BYTES = 32;
    private static final String SOURCE = "jvm";

    private final Mac mac;
    private final OutputStream out;
    private int seq;
    private int tests;

    private VerdictChannel(Mac mac, OutputStream out) {
        this.mac = mac;
        this.out = out;
    }

    /** The channel, or null when this JVM was started without one (by hand, or the install's training run). */
    static VerdictChannel open() {
        // Without the runner, 7 and 8 may be descriptors this JVM opened itself (a jar of the class path):
        // reading and closing one of those would break class loading. The runner's are sockets or pipes.
        if (!isChannel(KEY_FD) || !isChannel(RECORD_FD)) return null;
        byte[] key;
        FileInputStream in;
        try {
            in = new FileInputStream(descriptor(KEY_FD));
        } catch (ReflectiveOperationException | RuntimeException e) {
            return null;
        }
        try (in) {
            key = readKey(in);
        } catch (IOException e) {
            return null;  // no descriptor 7: not run by the runner with a harness key
        }
        if (key.length != KEY_BYTES) return null;
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            java.util.Arrays.fill(key, (byte) 0);
            return new VerdictChannel(mac, new FileOutputStream(descriptor(RECORD_FD)));
        } catch (GeneralSecurityException | ReflectiveOperationException e) {
            throw new IllegalStateException("the verdict channel cannot be opened", e);
        }
    }

    /** Up to KEY_BYTES bytes; plain reads (FileInputStream.readNBytes seeks, which a socket cannot). */
    private static byte[] readKey(FileInputStream in) throws IOException {
        byte[] key = new byte[KEY_BYTES];
        int got = 0;
        for (int n; got < KEY_BYTES && (n = in.read(key, got, KEY_BYTES - got)) > 0; ) got += n;
        return got == KEY_BYTES ? key : new byte[0];
    }

    private static boolean isChannel(int number) {
        try {
            String target = Files.readSymbolicLink(Path.of("/proc/self/fd/" + number)).toString();
            return target.startsWith("socket:") || target.startsWith("pipe:");
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private static FileDescriptor descriptor(int number) throws ReflectiveOperationException {
        FileDescriptor fd = new FileDescriptor();
        Field field = FileDescriptor.class.getDeclaredField("fd");
        field.setAccessible(true);
        field.setInt(fd, number);
        return fd;
    }

    /** One test's result; {@code refused} names what the confinement refused during it, or is null. */
    synchronized void test(String classname, String name, String status, long timeMs, String message, String refused) throws IOException {
        StringBuilder json = new StringBuilder(128).append("{\"source\":\"").append(SOURCE).append("\",\"seq\":").append(seq)
            .append(",\"kind\":\"test\",\"classname\":").append(Json.string(classname))
            .append(",\"name\":").append(Json.string(name))
            .append(",\"status\":\"").append(status).append("\",\"timeMs\":").append(timeMs);
        if (message != null) json.append(",\"message\":").append(Json.string(message));
        if (refused != null) json.append(",\"refused\":").append(Json.string(refused));
        write(json.append('}').toString());
        tests++;
    }

    /** The completion record: the run finished and every test it ran was recorded above. */
    synchronized void done() throws IOException {
        write("{\"source\":\"" + SOURCE + "\",\"seq\":" + seq + ",\"kind\":\"done\",\"tests\":" + tests + "}");
    }

    private void write(String json) throws IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        byte[] digest = mac.doFinal(body);
        StringBuilder line = new StringBuilder(digest.length * 2 + body.length + 2);
        for (byte b : digest) line.append(Character.forDigit((b >> 4) & 0xf, 16)).append(Character.forDigit(b & 0xf, 16));
        line.append(' ').append(json).append('\n');
        out.write(line.toString().getBytes(StandardCharsets.UTF_8));
        out.flush();
        seq++;
    }
}
