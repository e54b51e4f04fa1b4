from wordstats import longest_word, most_common, word_count


def test_counts_words_separated_by_any_whitespace():
    assert word_count("the quick\tbrown\n fox") == 4


def test_counts_no_words_in_blank_text():
    assert word_count("   ") == 0


def test_most_common_ignores_case():
    assert most_common("Apple banana apple APPLE banana") == "apple"


def test_most_common_breaks_ties_alphabetically():
    assert most_common("pear fig fig pear") == "fig"


def test_longest_word_keeps_the_first_of_equal_length():
    assert longest_word("tree bush palm") == "tree"
