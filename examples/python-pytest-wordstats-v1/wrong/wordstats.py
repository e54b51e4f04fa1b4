from collections import Counter


def word_count(text):
    return len(text.split(" "))


def most_common(text):
    return Counter(text.lower().split()).most_common(1)[0][0]


def longest_word(text):
    return max(text.split(), key=len)
