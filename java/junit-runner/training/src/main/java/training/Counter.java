package training;

/** What the class-data-sharing archive is trained on: a class with a bug, so failure paths load too. */
public class Counter {
    private int count;

    public void add(int amount) {
        if (amount < 0) throw new IllegalArgumentException("negative amount");
        count += amount;
    }

    public int count() {
        return count + (count > 5 ? 1 : 0);
    }
}
