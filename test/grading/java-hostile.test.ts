import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { GradeResult } from '../../src/grading/types.js';
import { repoRoot } from '../helpers/cli.js';
import { codes, hostileGrader, javaSolutionFile, javaWith, noGain, PIT, wrong } from '../helpers/hostile.js';

// A student who has read this project attacks the Java build tools from the samples' wrong solution
// (honest score 60 with javac and junit, 40 with Maven). With the junit tool the solution runs confined
// in the helper's JVM and the verdict leaves on the runner's channel: each attack is refused, the tests
// concerned fail with "not allowed: …", and the result says CONFINEMENT_REFUSED. With javac and Maven,
// which cannot confine, a report rewritten after the harness wrote it is detected: TAMPERED.
const java = suite('java hostile');
const grader = hostileGrader();
java.before(grader.open);
java.after(grader.close);

const TESTS = ['startsWithTheOpeningBalance', 'depositAddsToTheBalance', 'withdrawSubtractsFromTheBalance', 'refusesToOverdraw', 'refusesNonPositiveAmounts'];

/** Refused, visibly to the student and the instructor, and no gain. */
function confined(result: GradeResult, text: string, what: RegExp) {
  noGain('junit', result, text);
  assert.ok(codes(result).includes('CONFINEMENT_REFUSED'), `${codes(result)}\n${text.slice(-3000)}`);
  assert.ok(result.tests.some((t) => t.status !== 'passed' && what.test(t.message ?? '')), JSON.stringify(result.tests, null, 1));
}

/** Lists the test folder, runs the sentinel to learn the nonce, writes a complete report and halts. */
const nonceThief = `        try {
            String sentinel = null;
            for (String f : new java.io.File("src/test/java/bank").list()) if (f.startsWith("PitSentinel")) sentinel = "bank." + f.replace(".java", "");
            ClassLoader[] loaders = { BankAccount.class.getClassLoader(), Thread.currentThread().getContextClassLoader() };
            Class<?> test = null;
            for (ClassLoader loader : loaders) { try { test = Class.forName(sentinel, true, loader); break; } catch (Throwable e) { } }
            java.lang.reflect.Method method = test.getDeclaredMethods()[0];
            method.setAccessible(true);
            String message = "";
            try { method.invoke(test.getDeclaredConstructor().newInstance()); } catch (java.lang.reflect.InvocationTargetException e) { message = e.getCause().getMessage(); }
            StringBuilder xml = new StringBuilder("<testsuite>");
            for (String t : new String[] {${TESTS.map((t) => JSON.stringify(t)).join(', ')}}) xml.append("<testcase classname=\\"bank.BankAccountTest\\" name=\\"" + t + "()\\"/>");
            xml.append("<testcase classname=\\"" + test.getName() + "\\" name=\\"" + method.getName() + "()\\"><failure message=\\"" + message + "\\"/></testcase></testsuite>");
            java.nio.file.Files.writeString(java.nio.file.Path.of("test-reports/TEST-junit-jupiter.xml"), xml);
            Runtime.getRuntime().halt(1);
        } catch (Throwable e) { System.out.println("NONCE-ATTACK-FAILED " + e); }`;

java('junit: a static initializer that reaches the sentinel, writes a complete report and halts is refused', async () => {
  const { result, text } = await grader.grade('junit', [await javaWith('junit', nonceThief)]);
  confined(result, text, /not allowed: reading files/);
  assert.match(text, 'NONCE-ATTACK-FAILED java.lang.SecurityException: not allowed: reading files');
});

/** JUnit's XML writer swapped for one that drops every failure but the sentinel's, by property and by service file. */
const quietFactory = `package bank;

import java.lang.reflect.Proxy;
import javax.xml.stream.*;

public class Quiet extends XMLOutputFactory {
    private final XMLOutputFactory real = XMLOutputFactory.newDefaultFactory();
    public XMLStreamWriter createXMLStreamWriter(java.io.Writer w) throws XMLStreamException { return quiet(real.createXMLStreamWriter(w)); }
    public XMLStreamWriter createXMLStreamWriter(java.io.OutputStream o) throws XMLStreamException { return quiet(real.createXMLStreamWriter(o)); }
    public XMLStreamWriter createXMLStreamWriter(java.io.OutputStream o, String e) throws XMLStreamException { return quiet(real.createXMLStreamWriter(o, e)); }
    public XMLStreamWriter createXMLStreamWriter(javax.xml.transform.Result r) throws XMLStreamException { return quiet(real.createXMLStreamWriter(r)); }
    public XMLEventWriter createXMLEventWriter(javax.xml.transform.Result r) throws XMLStreamException { return real.createXMLEventWriter(r); }
    public XMLEventWriter createXMLEventWriter(java.io.OutputStream o) throws XMLStreamException { return real.createXMLEventWriter(o); }
    public XMLEventWriter createXMLEventWriter(java.io.OutputStream o, String e) throws XMLStreamException { return real.createXMLEventWriter(o, e); }
    public XMLEventWriter createXMLEventWriter(java.io.Writer w) throws XMLStreamException { return real.createXMLEventWriter(w); }
    public void setProperty(String n, Object v) { real.setProperty(n, v); }
    public Object getProperty(String n) { return real.getProperty(n); }
    public boolean isPropertySupported(String n) { return real.isPropertySupported(n); }

    static XMLStreamWriter quiet(XMLStreamWriter w) {
        String[] testcase = {""};
        int[] dropping = {0};
        return (XMLStreamWriter) Proxy.newProxyInstance(Quiet.class.getClassLoader(), new Class<?>[] {XMLStreamWriter.class}, (p, m, a) -> {
            String n = m.getName();
            if (n.equals("writeStartElement")) {
                String tag = (String) a[a.length - 1];
                if (dropping[0] > 0 || ((tag.equals("failure") || tag.equals("error")) && !testcase[0].startsWith("sentinel"))) { dropping[0]++; return null; }
                if (tag.equals("testcase")) testcase[0] = "";
            } else if (n.equals("writeEndElement") && dropping[0] > 0) { dropping[0]--; return null; }
            else if (dropping[0] > 0 && n.startsWith("write") && !n.equals("writeEndDocument")) return null;
            else if (n.equals("writeAttribute") && a[a.length - 2].equals("name") && testcase[0].isEmpty()) testcase[0] = (String) a[a.length - 1];
            return m.invoke(w, a);
        });
    }
}
`;
const swapWriter = `        try { System.setProperty("javax.xml.stream.XMLOutputFactory", "bank.Quiet"); System.out.println("WRITER-SWAPPED property"); } catch (Throwable e) { System.out.println("PROPERTY-REFUSED " + e.getMessage()); }
        for (String dir : new String[] {"build/pit-junit/classes", "build/pit-junit/test-classes"}) {
            try {
                java.nio.file.Path services = java.nio.file.Path.of(dir, "META-INF/services/javax.xml.stream.XMLOutputFactory");
                java.nio.file.Files.createDirectories(services.getParent());
                java.nio.file.Files.writeString(services, "bank.Quiet");
                System.out.println("WRITER-SWAPPED service");
            } catch (Throwable e) { System.out.println("SERVICE-REFUSED " + e.getMessage()); }
        }`;

java('junit: swapping JUnit\'s XML writer by a system property or a service file written at run time is refused', async () => {
  const { result, text } = await grader.grade('junit', [await javaWith('junit', swapWriter), { name: 'src/main/java/bank/Quiet.java', data: quietFactory }]);
  confined(result, text, /not allowed: (system properties|writing files)/);
  assert.not.match(text, 'WRITER-SWAPPED');
  assert.match(text, 'PROPERTY-REFUSED not allowed: system properties');
});

/** A shutdown hook that clears every failure of every report but the sentinel's, in place, exit code kept. */
const keepSentinel = `        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            for (String dir : new String[] {"test-reports", "target/surefire-reports"}) {
                java.io.File[] files = new java.io.File(dir).listFiles((d, name) -> name.endsWith(".xml"));
                if (files == null) continue;
                for (java.io.File f : files) {
                    try {
                        org.w3c.dom.Document doc = javax.xml.parsers.DocumentBuilderFactory.newInstance().newDocumentBuilder().parse(f);
                        for (String tag : new String[] {"failure", "error"}) {
                            org.w3c.dom.NodeList found = doc.getElementsByTagName(tag);
                            for (int i = found.getLength() - 1; i >= 0; i--) {
                                org.w3c.dom.Element e = (org.w3c.dom.Element) found.item(i);
                                if (!e.getAttribute("message").contains("pit-runner sentinel")) e.getParentNode().removeChild(e);
                            }
                        }
                        javax.xml.transform.TransformerFactory.newInstance().newTransformer().transform(new javax.xml.transform.dom.DOMSource(doc), new javax.xml.transform.stream.StreamResult(f));
                        System.out.println("HOOK-REWROTE " + f);
                    } catch (Exception e) { System.out.println("HOOK-FAILED " + e); }
                }
            }
        }));`;

java('junit: a shutdown hook that rewrites the reports, keeping the sentinel\'s failure, is refused', async () => {
  const { result, text } = await grader.grade('junit', [await javaWith('junit', `        try {\n${keepSentinel}\n        } catch (Throwable e) { System.out.println("HOOK-REFUSED " + e.getMessage()); }`)]);
  confined(result, text, /not allowed: shutdown hooks/);
  assert.not.match(text, 'HOOK-REWROTE');
});

for (const tool of ['javac', 'maven'] as const) {
  java(`${tool}: a shutdown hook that rewrites the reports in place, keeping the sentinel's failure and the exit code, is TAMPERED`, async () => {
    const { result, text } = await grader.grade(tool, [await javaWith(tool, keepSentinel)]);
    assert.match(text, 'HOOK-REWROTE');
    assert.equal([result.outcome, result.score, codes(result)], ['TAMPERED', 0, ['REPORT_REWRITTEN']], text.slice(-3000));
  });
}

/** Each method finds its caller's line in the test sources and returns, or throws, what the assertion expects. */
const oracle = `
    static String line() {
        for (StackTraceElement frame : new Throwable().getStackTrace()) {
            if (!frame.getClassName().endsWith("Test")) continue;
            try { Class.forName(frame.getClassName()); System.out.println("TEST-CLASS-LOADED"); } catch (Throwable e) { System.out.println("TEST-CLASS-HIDDEN " + e); }
            try {
                java.nio.file.Path file = java.nio.file.Path.of("src/test/java", frame.getClassName().replace('.', '/') + ".java");
                return java.nio.file.Files.readAllLines(file).get(frame.getLineNumber() - 1);
            } catch (Throwable e) { System.out.println("ORACLE-REFUSED " + e.getMessage()); return ""; }
        }
        return "";
    }
    static long expected(long fallback) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("assertEquals\\\\((-?\\\\d+),").matcher(line());
        return m.find() ? Long.parseLong(m.group(1)) : fallback;
    }
    static void throwIfExpected() {
        String line = line();
        if (line.contains("IllegalStateException")) throw new IllegalStateException();
        if (line.contains("IllegalArgumentException")) throw new IllegalArgumentException();
    }
`;

java('junit: an answer oracle that reads the test sources through the stack trace is refused, and cannot load the test class', async () => {
  const source = (await wrong('junit', javaSolutionFile('junit')))
    .replace('public class BankAccount {', `public class BankAccount {\n${oracle}`)
    .replace('return balance;', 'return expected(balance);')
    .replace('balance += amount;', 'throwIfExpected();\n        balance += amount;')
    .replace('balance -= amount;', 'throwIfExpected();\n        balance -= amount;');
  const { result, text } = await grader.grade('junit', [{ name: javaSolutionFile('junit'), data: source }]);
  confined(result, text, /not allowed: reading files/);
  assert.match(text, 'TEST-CLASS-HIDDEN java.lang.ClassNotFoundException: bank.BankAccountTest');
  assert.not.match(text, 'TEST-CLASS-LOADED');
});

/** Threads of the solution: outside its group, across the JVM, and one of its own that tries what it may not (from a constructor: a thread started by a static initializer would wait for it). */
const threads = `    static boolean started;
    static void attack() {
        if (started) return;
        started = true;
        java.util.function.Consumer<Runnable> attempt = (r) -> { try { r.run(); } catch (Throwable e) { System.out.println("THREAD-REFUSED " + e.getMessage()); } };
        attempt.accept(() -> { new Thread(Thread.currentThread().getThreadGroup().getParent(), () -> {}).start(); System.out.println("ESCAPED group"); });
        attempt.accept(() -> { Thread.getAllStackTraces(); System.out.println("ESCAPED stack traces"); });
        attempt.accept(() -> { Thread.currentThread().setContextClassLoader(null); System.out.println("ESCAPED context loader"); });
        Thread own = new Thread(() -> {
            attempt.accept(() -> { java.nio.file.Files.exists(java.nio.file.Path.of("src/test/java/bank/BankAccountTest.java")); System.out.println("ESCAPED files"); });
            attempt.accept(() -> { Runtime.getRuntime().halt(0); });
        });
        own.setDaemon(true);
        own.start();
        try { own.join(); } catch (InterruptedException e) { }
    }`;

java('junit: threads the solution starts keep its restrictions and cannot reach the JVM\'s other threads', async () => {
  const source = (await wrong('junit', javaSolutionFile('junit')))
    .replace('public class BankAccount {', `public class BankAccount {\n${threads}`)
    .replace('this.balance = openingBalance;', 'this.balance = openingBalance;\n        attack();');
  const { result, text } = await grader.grade('junit', [{ name: javaSolutionFile('junit'), data: source }]);
  confined(result, text, /not allowed: /);
  assert.not.match(text, 'ESCAPED');
  assert.match(text, 'THREAD-REFUSED not allowed: threads outside its own');
  assert.match(text, 'THREAD-REFUSED not allowed: other threads\' stacks');
  assert.match(text, 'THREAD-REFUSED not allowed: reading files');
  assert.match(text, 'THREAD-REFUSED not allowed: ending the JVM');
});

/** What ordinary solutions use: none of it trips the confinement. */
const ordinary = `
    record Entry(String kind, long amount) { }
    private final java.util.List<Entry> history = new java.util.ArrayList<>();
    static long sum(java.util.List<Long> xs) { return xs.isEmpty() ? 0 : xs.get(0) + sum(xs.subList(1, xs.size())); }
    static void exercise() {
        java.util.Map<String, Long> totals = java.util.stream.Stream.of(new Entry("a", 1), new Entry("b", 2), new Entry("a", 3))
            .collect(java.util.stream.Collectors.groupingBy(Entry::kind, java.util.TreeMap::new, java.util.stream.Collectors.summingLong(Entry::amount)));
        long parallel = java.util.stream.LongStream.rangeClosed(1, 10_000).parallel().sum();
        String text = String.format(java.util.Locale.ROOT, "%s %d %.2f%s", totals, parallel, 1.5, System.lineSeparator()) + System.getProperty("line.separator");
        try { Integer.parseInt("x"); } catch (NumberFormatException e) { text += e.getMessage(); }
        long[] fromThread = new long[1];
        Thread worker = new Thread(() -> fromThread[0] = sum(java.util.List.of(1L, 2L, 3L)));
        worker.start();
        try { worker.join(); } catch (InterruptedException e) { throw new IllegalStateException(e); }
        java.util.concurrent.CompletableFuture<Long> later = java.util.concurrent.CompletableFuture.supplyAsync(() -> 42L);
        try {
            java.nio.file.Path scratch = java.nio.file.Files.createTempFile("ordinary", ".txt");
            java.nio.file.Files.writeString(scratch, "temp-ok");
            text += " " + java.nio.file.Files.readString(scratch);
            java.nio.file.Files.delete(scratch);
        } catch (java.io.IOException e) { throw new java.io.UncheckedIOException(e); }
        System.out.println("ORDINARY " + text.trim() + " " + fromThread[0] + " " + later.join() + " " + java.time.LocalDate.of(2024, 2, 29).plusYears(1));
    }
`;

java('junit: an ordinary solution (records, streams, parallel streams, threads, String.format, System.out, recursion, temporary files) grades as before', async () => {
  const correct = await readFile(path.join(repoRoot, 'examples', PIT.junit, 'correct', javaSolutionFile('junit')), 'utf8');
  const source = correct.replace('public class BankAccount {', `public class BankAccount {\n${ordinary}`).replace('return balance;', 'exercise();\n        return balance;');
  const { result, text } = await grader.grade('junit', [{ name: javaSolutionFile('junit'), data: source }]);
  assert.equal([result.outcome, result.score, codes(result)], ['PASSED', 100, []], text.slice(-3000));
  assert.match(text, 'ORDINARY {a=4, b=2} 50005000 1.50');
  assert.match(text, 'temp-ok 6 42 2025-02-28');
});

java.run();
