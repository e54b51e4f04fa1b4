def word_count(text)
    return len(text.split())


def most_common(text):
    return text.split()[0]


def longest_word(text):
    return max(text.split(), key=len)
