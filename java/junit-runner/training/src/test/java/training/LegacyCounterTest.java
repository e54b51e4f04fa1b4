package training;

import static org.junit.Assert.assertEquals;

import org.junit.Before;
import org.junit.Test;

public class LegacyCounterTest {
    private Counter counter;

    @Before
    public void setUp() {
        counter = new Counter();
    }

    @Test
    public void addsOne() {
        counter.add(1);
        assertEquals(1, counter.count());
    }

    @Test
    public void addsSix() {
        counter.add(6);
        assertEquals(6, counter.count());
    }
}
