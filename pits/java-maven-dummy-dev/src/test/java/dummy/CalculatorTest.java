package dummy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class CalculatorTest {
    private final Calculator calculator = new Calculator();

    @Test
    void addsTwoNumbers() {
        assertEquals(5, calculator.add(2, 3));
    }

    @Test
    void subtractsToANegativeResult() {
        assertEquals(-4, calculator.subtract(3, 7));
    }

    @Test
    void multipliesByZero() {
        assertEquals(0, calculator.multiply(42, 0));
    }

    @Test
    void dividesRoundingTowardZero() {
        assertEquals(-2, calculator.divide(-7, 3));
    }

    @Test
    void refusesDivisionByZero() {
        assertThrows(ArithmeticException.class, () -> calculator.divide(1, 0));
    }
}
