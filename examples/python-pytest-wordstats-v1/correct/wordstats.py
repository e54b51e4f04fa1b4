from collections import Counter


def word_count(text):
    return len(text.split())


def most_common(text):
    counts = Counter(word.lower() for word in text.split())
    return min(counts, key=lambda word: (-counts[word], word))


def longest_word(text):
    return max(text.split(), key=len)
