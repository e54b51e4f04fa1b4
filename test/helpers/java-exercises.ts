import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { buildToolDefaults } from '../../src/pits/skeleton.js';

/**
 * Small exercism-style Java exercises (JUnit 5, JUnit 5 with AssertJ, JUnit 4) written as PITs that
 * share one template: `<name>-maven-v1` (Maven, the template's pom: the sample's, tests in Maven's JVM),
 * `<name>-junit-v1` (the junit build tool, reading the same pom's dependencies) and, for benchmarks,
 * `<name>-mavenplain-v1` (a plain exercism-style pom: dependencies only, Surefire's default fork). Each comes with a solution that passes some
 * tests and fails others, or does not compile, so the grades compare more than "all green".
 */
export interface JavaExercise { name: string; dependencies: string[]; tests: Record<string, string>; solution: Record<string, string> }

const JUPITER = 'org.junit.jupiter:junit-jupiter:5.9.2';
const ASSERTJ = 'org.assertj:assertj-core:3.14.0';
const JUNIT4 = 'junit:junit:4.13.2';

export const javaExercises: JavaExercise[] = [
  {
    name: 'leap',
    dependencies: [JUPITER],
    tests: {
      'src/test/java/LeapTest.java': `import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LeapTest {
    private final Leap leap = new Leap();

    @Test void yearNotDivisibleBy4IsCommon() { assertFalse(leap.isLeapYear(2015)); }
    @Test void yearDivisibleBy4IsLeap() { assertTrue(leap.isLeapYear(1996)); }
    @Test void yearDivisibleBy100IsCommon() { assertFalse(leap.isLeapYear(2100)); }
    @Test void yearDivisibleBy400IsLeap() { assertTrue(leap.isLeapYear(2000)); }
    @Test void yearDivisibleBy200IsCommon() { assertFalse(leap.isLeapYear(1800)); }
}
`,
    },
    solution: {
      'src/main/java/Leap.java': `class Leap {
    boolean isLeapYear(int year) {
        System.out.println("checking " + year);
        return year % 4 == 0;
    }
}
`,
    },
  },
  {
    name: 'reverse-string',
    dependencies: [JUPITER, ASSERTJ],
    tests: {
      'src/test/java/text/ReverseStringTest.java': `package text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ReverseStringTest {
    @Test void reversesAWord() { assertThat(new ReverseString().reverse("robot")).isEqualTo("tobor"); }
    @Test void reversesASentence() { assertThat(new ReverseString().reverse("I'm hungry!")).isEqualTo("!yrgnuh m'I"); }
    @Test void keepsAnEmptyString() { assertThat(new ReverseString().reverse("")).isEmpty(); }
    @Test void refusesNull() { assertThatThrownBy(() -> new ReverseString().reverse(null)).isInstanceOf(IllegalArgumentException.class); }
}
`,
    },
    solution: {
      'src/main/java/text/ReverseString.java': `package text;

public class ReverseString {
    public String reverse(String input) {
        return new StringBuilder(input).reverse().toString();
    }
}
`,
    },
  },
  {
    name: 'hamming',
    dependencies: [JUNIT4],
    tests: {
      'src/test/java/dna/HammingTest.java': `package dna;

import static org.junit.Assert.assertEquals;

import org.junit.Test;

public class HammingTest {
    @Test public void identicalStrandsHaveNoDistance() { assertEquals(0, new Hamming("GGACTGA", "GGACTGA").distance()); }
    @Test public void countsEveryDifference() { assertEquals(9, new Hamming("GGACGGATTCTG", "AGGACGGATTCT").distance()); }
    @Test(expected = IllegalArgumentException.class) public void refusesStrandsOfDifferentLengths() { new Hamming("AATG", "AAA"); }
    @Test public void emptyStrandsHaveNoDistance() { assertEquals(0, new Hamming("", "").distance()); }
}
`,
    },
    solution: {
      'src/main/java/dna/Hamming.java': `package dna;

public class Hamming {
    private final String left;
    private final String right;

    public Hamming(String left, String right) {
        this.left = left;
        this.right = right;
    }

    public int distance() {
        int count = 0;
        for (int i = 0; i < Math.min(left.length(), right.length()); i++) if (left.charAt(i) != right.charAt(i)) count++;
        return count;
    }
}
`,
    },
  },
  {
    name: 'two-fer',
    dependencies: [JUPITER, ASSERTJ],
    tests: {
      'src/test/java/TwoferTest.java': `import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class TwoferTest {
    @Test void noNameGiven() { assertThat(new Twofer().twofer(null)).isEqualTo("One for you, one for me."); }
    @Test void aNameGiven() { assertThat(new Twofer().twofer("Alice")).isEqualTo("One for Alice, one for me."); }
}
`,
    },
    solution: {
      'src/main/java/Twofer.java': `class Twofer {
    String twofer(String name) {
        return "One for " + (name == null ? "you" : name) + ", one for me."
    }
}
`,
    },
  },
];

/**
 * The maven sample's pom, with `dependencies` (groupId:artifactId:version, test scope) instead of JUnit 5
 * alone; `plain`: without its Surefire configuration, as an exercise's own pom would be.
 */
export function exercisePom(artifactId: string, dependencies: string[], plain = false): string {
  const sample = buildToolDefaults('maven', artifactId)!.files['pom.xml']!;
  const pom = plain ? sample.replace(/\n {2}<build>[\s\S]*<\/build>\n/, '\n') : sample;
  const xml = dependencies.map((coordinates) => {
    const [groupId, artifact, version] = coordinates.split(':');
    return `    <dependency>\n      <groupId>${groupId}</groupId>\n      <artifactId>${artifact}</artifactId>\n      <version>${version}</version>\n      <scope>test</scope>\n    </dependency>\n`;
  }).join('');
  return pom.replace(/ {2}<dependencies>[\s\S]*<\/dependencies>/, `  <dependencies>\n${xml}  </dependencies>`);
}

/** Writes the PITs of every exercise into `pitsDir` and each solution to `<solutionsDir>/<name>/`. */
export async function writeJavaExercises(pitsDir: string, solutionsDir: string, exercises = javaExercises): Promise<void> {
  const settings = buildToolDefaults('maven', 'x')!.files['settings.xml']!;
  for (const exercise of exercises) {
    await writeTree(path.join(solutionsDir, exercise.name), exercise.solution);
    const maven = buildToolDefaults('maven', exercise.name)!;
    for (const plain of [false, true]) {
      const template = `${exercise.name}-template${plain ? '-plain' : ''}`;
      const files = { ...exercise.tests, 'pom.xml': exercisePom(exercise.name, exercise.dependencies, plain), 'settings.xml': settings };
      await writeTree(path.join(pitsDir, template), files);
      const common = { language: 'java', template, maxTimeoutMs: 120_000 };
      const tool = plain ? 'mavenplain' : 'maven';
      await writeJson(path.join(pitsDir, `${exercise.name}-${tool}-v1.json`), { ...common, buildTool: 'maven', testCommand: maven.testCommand, environment: maven.environment });
      if (!plain) await writeJson(path.join(pitsDir, `${exercise.name}-junit-v1.json`), { ...common, buildTool: 'junit', testCommand: 'pit-junit' });
    }
  }
}

async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, file)), { recursive: true });
    await writeFile(path.join(root, file), text);
  }
}

const writeJson = (file: string, value: unknown) => writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
