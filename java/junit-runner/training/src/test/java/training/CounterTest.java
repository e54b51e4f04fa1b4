package training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class CounterTest {
    private Counter counter;

    @BeforeEach
    void setUp() {
        counter = new Counter();
    }

    @Test
    @DisplayName("starts at zero")
    void startsAtZero() {
        System.out.println("a line of test output");
        assertEquals(0, counter.count());
    }

    @Test
    void refusesNegativeAmounts() {
        assertThrows(IllegalArgumentException.class, () -> counter.add(-1));
    }

    @Test
    void countsLargeAmounts() {
        counter.add(10);
        assertEquals(10, counter.count(), "the count after adding 10");
    }

    @ParameterizedTest
    @ValueSource(ints = {1, 2, 3})
    void countsSmallAmounts(int amount) {
        counter.add(amount);
        assertTrue(List.of(1, 2, 3).contains(counter.count()));
    }

    @Test
    @Disabled("not graded")
    void skipped() {
    }

    @Nested
    class WhenUsedTwice {
        @Test
        void addsUp() {
            counter.add(1);
            counter.add(2);
            assertEquals(3, counter.count());
        }
    }
}
