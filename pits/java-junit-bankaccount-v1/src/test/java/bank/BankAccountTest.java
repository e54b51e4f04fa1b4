package bank;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class BankAccountTest {
    @Test
    void startsWithTheOpeningBalance() {
        assertEquals(100, new BankAccount(100).balance());
    }

    @Test
    void depositAddsToTheBalance() {
        BankAccount account = new BankAccount(0);
        account.deposit(250);
        assertEquals(250, account.balance());
    }

    @Test
    void withdrawSubtractsFromTheBalance() {
        BankAccount account = new BankAccount(100);
        account.withdraw(40);
        assertEquals(60, account.balance());
    }

    @Test
    void refusesToOverdraw() {
        BankAccount account = new BankAccount(50);
        assertThrows(IllegalStateException.class, () -> account.withdraw(51));
        assertEquals(50, account.balance());
    }

    @Test
    void refusesNonPositiveAmounts() {
        BankAccount account = new BankAccount(10);
        assertThrows(IllegalArgumentException.class, () -> account.deposit(0));
        assertThrows(IllegalArgumentException.class, () -> account.withdraw(-5));
    }
}
