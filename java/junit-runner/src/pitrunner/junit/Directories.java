package pitrunner.junit;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/** File helpers that never follow a symbolic link: a submission may ship links anywhere. */
final class Directories {
    private Directories() {}

    /** Deletes {@code dir} (a link is removed, not followed) and creates it empty. */
    static void recreate(Path dir) throws IOException {
        delete(dir);
        Files.createDirectories(dir);
    }

    /** Deletes {@code dir} and what it holds, if it exists; a link is removed, not followed. */
    static void delete(Path dir) throws IOException {
        if (Files.isSymbolicLink(dir)) Files.delete(dir);
        else if (Files.exists(dir)) {
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                    Files.delete(file);
                    return FileVisitResult.CONTINUE;
                }
                @Override public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                    Files.delete(d);
                    return FileVisitResult.CONTINUE;
                }
            });
        }
    }

    /** The regular *.java files under the given folders, sorted; missing folders have none. */
    static List<Path> javaFiles(List<Path> dirs) throws IOException {
        List<Path> found = new ArrayList<>();
        for (Path dir : dirs) {
            if (!Files.isDirectory(dir)) continue;
            List<Path> here = new ArrayList<>();
            // Links are not followed: a link's own attributes say it is no regular file.
            Files.walkFileTree(dir, new SimpleFileVisitor<>() {
                @Override public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile() && file.toString().endsWith(".java")) here.add(file);
                    return FileVisitResult.CONTINUE;
                }
            });
            Collections.sort(here);
            found.addAll(here);
        }
        return found;
    }
}
