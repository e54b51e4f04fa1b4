package bank;

public class BankAccount {
    private long balance;

    public BankAccount(long openingBalance) {
        this.balance = openingBalance;
    }

    public long balance() {
        return balance
    }

    public void deposit(long amount) {
        balance += amount;
    }

    public void withdraw(long amount) {
        balance -= amount;
    }
}
