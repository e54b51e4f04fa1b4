import { JUNIT_COMMAND, JUNIT_CONSOLE_JAR, MAVEN_OFFLINE_REPO } from './junit.js';

/**
 * What `pit new` proposes per build tool: a language, a test command that writes JUnit XML where the
 * loader's default `reports` glob looks, a timeout, and a template skeleton with one example test.
 * The sample PITs in pits/ follow the same conventions.
 */

export interface BuildToolDefaults {
  language: string;
  testCommand: string;
  maxTimeoutMs: number;
  setupCommands: string[];
  shell?: boolean;
  environment?: Record<string, string>;
  /** Template files, relative to the template folder. */
  files: Record<string, string>;
}

export const LANGUAGE_BUILD_TOOL: Record<string, string> = { java: 'junit', python: 'pytest', javascript: 'node' };

/**
 * Each command reads its settings from template files passed explicitly (`-s settings.xml`,
 * `-c pytest.ini`), so configuration a student ships (~/.m2, .mvn/, pytest.ini, conftest.py) cannot
 * skip or deselect tests.
 */
export function buildToolDefaults(buildTool: string, pitId: string): BuildToolDefaults | undefined {
  switch (buildTool) {
    // One JVM compiles and tests (java/junit-runner); test dependencies: "testDependencies" in the PIT.
    case 'junit': return {
      language: 'java',
      testCommand: JUNIT_COMMAND,
      maxTimeoutMs: 30_000,
      setupCommands: [],
      files: { 'src/test/java/ExampleTest.java': junitExample },
    };
    case 'maven': return {
      language: 'java',
      testCommand: 'mvn -o -B -q -s settings.xml test',
      maxTimeoutMs: 120_000,
      setupCommands: [],
      environment: { MAVEN_SKIP_RC: '1' },
      files: { 'pom.xml': pom(pitId), 'settings.xml': mavenSettings, 'src/test/java/ExampleTest.java': junitExample },
    };
    case 'javac': return {
      language: 'java',
      // NUL-separated names, each starting with src/: no file name (spaces, quotes, @) becomes a javac option
      testCommand: 'rm -rf build && mkdir build && find src -name \'*.java\' -print0'
        + ` | xargs -0 -r javac -d build -cp ${JUNIT_CONSOLE_JAR}`
        + ` && java -jar ${JUNIT_CONSOLE_JAR} --class-path build --scan-class-path --include-engine=junit-jupiter`
        + ' --reports-dir=test-reports --disable-banner --disable-ansi-colors',
      maxTimeoutMs: 60_000,
      setupCommands: [],
      shell: true,
      files: { 'src/test/java/ExampleTest.java': junitExample },
    };
    case 'pytest': return {
      language: 'python',
      testCommand: '/usr/bin/python3 -I -B -m pytest -c pytest.ini --rootdir=. --noconftest -p no:cacheprovider -q --junitxml=test-reports/junit.xml',
      maxTimeoutMs: 60_000,
      setupCommands: [],
      files: { 'pytest.ini': pytestIni, 'tests/test_example.py': pytestExample },
    };
    case 'node': return {
      language: 'javascript',
      testCommand: 'node --test --test-reporter=spec --test-reporter-destination=stdout --test-reporter=junit --test-reporter-destination=test-reports/junit.xml',
      maxTimeoutMs: 60_000,
      // node's junit reporter does not create the folder it writes to.
      setupCommands: ['mkdir -p test-reports'],
      files: { 'test/example.test.mjs': nodeExample },
    };
    default: return undefined;
  }
}

const pom = (artifactId: string) => `<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"
         xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
         xsi:schemaLocation="http://maven.apache.org/POM/4.0.0 http://maven.apache.org/xsd/maven-4.0.0.xsd">
  <modelVersion>4.0.0</modelVersion>
  <groupId>pit</groupId>
  <artifactId>${artifactId}</artifactId>
  <version>1.0</version>
  <packaging>jar</packaging>

  <properties>
    <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
    <maven.compiler.release>17</maven.compiler.release>
  </properties>

  <dependencies>
    <!-- Exactly the JUnit the offline repository holds; another version does not resolve. -->
    <dependency>
      <groupId>org.junit.jupiter</groupId>
      <artifactId>junit-jupiter</artifactId>
      <version>5.9.2</version>
      <scope>test</scope>
    </dependency>
  </dependencies>

  <build>
    <plugins>
      <!-- Unpinned: the offline repository decides the version. forkCount 0 runs the tests inside Maven's
           JVM, which saves the 10 seconds Debian's surefire waits before ending a forked run. -->
      <plugin>
        <groupId>org.apache.maven.plugins</groupId>
        <artifactId>maven-surefire-plugin</artifactId>
        <configuration>
          <forkCount>0</forkCount>
        </configuration>
      </plugin>
    </plugins>
  </build>
</project>
`;

const mavenSettings = `<?xml version="1.0" encoding="UTF-8"?>
<!-- Given to mvn with -s: settings in the student's HOME are never read. Offline, against the
     read-only repository the image ships. -->
<settings xmlns="http://maven.apache.org/SETTINGS/1.0.0">
  <localRepository>${MAVEN_OFFLINE_REPO}</localRepository>
  <offline>true</offline>
  <interactiveMode>false</interactiveMode>
</settings>
`;

const pytestIni = `# Given to pytest with -c: a pytest.ini, tox.ini, setup.cfg or pyproject.toml in the submission is ignored.
[pytest]
pythonpath = .
testpaths = tests
`;

const junitExample = `import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

// Replace with tests of the students' code; each test method is one graded test.
class ExampleTest {
    @Test
    void addsNumbers() {
        assertEquals(4, 2 + 2);
    }
}
`;

const pytestExample = `# Replace with tests of the students' code; each test function is one graded test.
def test_adds_numbers():
    assert 2 + 2 == 4
`;

const nodeExample = `// Replace with tests of the students' code; each test is one graded test.
import test from 'node:test';
import assert from 'node:assert/strict';

test('adds numbers', () => {
  assert.equal(2 + 2, 4);
});
`;
