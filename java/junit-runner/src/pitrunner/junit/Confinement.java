package pitrunner.junit;

import java.io.File;
import java.io.FilePermission;
import java.lang.reflect.ReflectPermission;
import java.nio.file.Path;
import java.net.NetPermission;
import java.net.SocketPermission;
import java.security.AccessControlException;
import java.security.AccessController;
import java.security.AllPermission;
import java.security.CodeSource;
import java.security.Permission;
import java.security.PermissionCollection;
import java.security.Permissions;
import java.security.Policy;
import java.security.ProtectionDomain;
import java.util.PropertyPermission;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The solution's confinement: a security manager that decides by stack inspection. Every class the
 * solution's loader defines has one static protection domain ({@link #SOLUTION_DOMAIN}) holding only
 * the reads of the JDK's harmless standard properties and the files of the run's temporary folder; every other domain (the JDK, JUnit, the helper,
 * the instructor's tests and their jars) has every permission, by {@link #POLICY}. A check with any
 * solution frame on the stack (a solution method, its lambdas, a thread it started: threads inherit
 * their creator's access control context) is refused, whoever asked. Threads the solution starts go
 * to one thread group, and it may touch no thread outside it.
 *
 * <p>Each refusal is counted and described ("reading files"), so the test running when it happened
 * fails with that message even when the solution caught the exception. Relies on the JDK 17 security
 * manager (deprecated for removal: see RUNBOOK, Security).
 */
final class Confinement extends SecurityManager {
    /** What the JDK's own default policy lets any code read: nothing of the machine, the paths or the runner. */
    private static final String[] READABLE_PROPERTIES = {
        "java.version", "java.vendor", "java.vendor.url", "java.class.version", "os.name", "os.version", "os.arch",
        "file.separator", "path.separator", "line.separator", "java.specification.version", "java.specification.vendor",
        "java.specification.name", "java.vm.specification.version", "java.vm.specification.vendor",
        "java.vm.specification.name", "java.vm.version", "java.vm.vendor", "java.vm.name",
    };
    static final ProtectionDomain SOLUTION_DOMAIN = new ProtectionDomain(new CodeSource(null, (java.security.cert.Certificate[]) null), solutionPermissions());

    /** Everything, for every domain but the solution's (whose permissions are static: the policy is not asked). */
    private static final Policy POLICY = new Policy() {
        @Override public boolean implies(ProtectionDomain domain, Permission permission) {
            return domain != SOLUTION_DOMAIN;
        }
        @Override public PermissionCollection getPermissions(ProtectionDomain domain) {
            Permissions all = new Permissions();
            if (domain != SOLUTION_DOMAIN) all.add(new AllPermission());
            return all;
        }
        @Override public PermissionCollection getPermissions(CodeSource source) {
            Permissions all = new Permissions();
            all.add(new AllPermission());
            return all;
        }
    };
    private static final Permission MODIFY_THREAD = new RuntimePermission("modifyThread");
    private static final Permission MODIFY_THREAD_GROUP = new RuntimePermission("modifyThreadGroup");

    private static final AtomicInteger REFUSALS = new AtomicInteger();
    private static final AtomicReference<String> LAST = new AtomicReference<>();

    private final ThreadGroup solutionThreads;

    private Confinement(ThreadGroup solutionThreads) {
        this.solutionThreads = solutionThreads;
    }

    /** Installs the confinement: from here on, solution code has no rights. */
    static void install() {
        ThreadGroup group = new ThreadGroup(Thread.currentThread().getThreadGroup(), "solution");
        Policy.setPolicy(POLICY);
        // (the JDK warns on the JVM's first stderr, four lines, that the security manager is deprecated)
        System.setSecurityManager(new Confinement(group));
    }

    /** How many checks were refused so far, and what the last one was about. */
    static int refusals() {
        return REFUSALS.get();
    }

    static String lastRefused() {
        return LAST.get();
    }

    @Override
    public void checkPermission(Permission permission) {
        try {
            AccessController.checkPermission(permission);
        } catch (AccessControlException e) {
            throw refused(permission);
        }
    }

    @Override
    public void checkPermission(Permission permission, Object context) {
        try {
            super.checkPermission(permission, context);
        } catch (AccessControlException e) {
            throw refused(permission);
        }
    }

    private static SecurityException refused(Permission permission) {
        String what = describe(permission);
        LAST.set(what);
        REFUSALS.incrementAndGet();
        return new SecurityException("not allowed: " + what + " (the solution runs without rights: "
            + permission.getClass().getSimpleName() + " " + shortName(permission) + ")");
    }

    /** New threads of code that names no group (the solution's, and JUnit's timeout watchers) go to the solution's group. */
    @Override
    public ThreadGroup getThreadGroup() {
        return solutionThreads;
    }

    @Override
    public void checkAccess(Thread thread) {
        ThreadGroup group = thread.getThreadGroup();
        if (group == null || !solutionThreads.parentOf(group)) checkPermission(MODIFY_THREAD);
    }

    @Override
    public void checkAccess(ThreadGroup group) {
        if (!solutionThreads.parentOf(group)) checkPermission(MODIFY_THREAD_GROUP);
    }

    private static String shortName(Permission permission) {
        String name = permission.getName();
        return name.length() > 120 ? name.substring(0, 120) + "…" : name;
    }

    /** In the words the student reads in the test's failure. */
    static String describe(Permission permission) {
        String name = permission.getName();
        if (permission instanceof FilePermission) {
            String actions = permission.getActions();
            if (actions.contains("execute")) return "running programs";
            if (actions.contains("write") || actions.contains("delete")) return "writing files";
            return "reading files";
        }
        if (permission instanceof PropertyPermission) return "system properties";
        if (permission instanceof ReflectPermission) return "reflection past access checks";
        if (permission instanceof SocketPermission || permission instanceof NetPermission) return "the network";
        if (permission instanceof RuntimePermission) {
            if (name.equals("exitVM") || name.startsWith("exitVM.")) return "ending the JVM (System.exit, halt)";
            if (name.equals("shutdownHooks")) return "shutdown hooks";
            if (name.equals("getStackTrace")) return "other threads' stacks";
            if (name.equals("modifyThread") || name.equals("modifyThreadGroup") || name.equals("stopThread")) return "threads outside its own";
            if (name.contains("ClassLoader") || name.equals("getProtectionDomain")) return "class loaders";
            if (name.startsWith("loadLibrary.")) return "native code";
            if (name.endsWith("FileDescriptor")) return "file descriptors";
            if (name.equals("setIO")) return "replacing System.out or System.err";
            if (name.equals("accessDeclaredMembers") || name.startsWith("accessClassInPackage.")) return "reflection past access checks";
        }
        return "this operation";
    }

    private static Permissions solutionPermissions() {
        Permissions permissions = new Permissions();
        for (String property : READABLE_PROPERTIES) permissions.add(new PropertyPermission(property, "read"));
        // The run's own temporary folder (the sandbox's, per submission; JUnit's @TempDir is made there): an
        // exercise may hand the solution files to read or write. Nothing the runner or the tests trust lives there.
        String tmp = System.getProperty("java.io.tmpdir");
        if (tmp != null && !tmp.isEmpty()) permissions.add(new FilePermission(Path.of(tmp).toAbsolutePath().normalize() + File.separator + "-", "read,write,delete"));
        permissions.setReadOnly();
        return permissions;
    }
}
