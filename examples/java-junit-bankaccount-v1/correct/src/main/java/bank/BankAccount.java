package bank;

public class BankAccount {
    private long balance;

    public BankAccount(long openingBalance) {
        this.balance = openingBalance;
    }

    public long balance() {
        return balance;
    }

    public void deposit(long amount) {
        requirePositive(amount);
        balance += amount;
    }

    public void withdraw(long amount) {
        requirePositive(amount);
        if (amount > balance) {
            throw new IllegalStateException("insufficient funds");
        }
        balance -= amount;
    }

    private static void requirePositive(long amount) {
        if (amount <= 0) {
            throw new IllegalArgumentException("amount must be positive");
        }
    }
}
