"""Label tables as users write them: CSV and JSON, quoting, spaces, unicode,
and the messages that name the row at fault."""
import pytest

from semples_mmseg.datasets.tag_table import (normalize_image_path,
                                              read_tag_table, split_tags)


def rows_of(path):
    rows, problems = read_tag_table(str(path))
    return [(r.where, r.image, r.tags) for r in rows], [str(p)
                                                        for p in problems]


def test_csv_quoting_spaces_and_unicode(tmp_path):
    path = tmp_path / 'tags.csv'
    path.write_bytes(
        '\ufeffImage , Labels\r\n'
        'a.jpg, cat ; dining table ;\r\n'
        '"field, north/b.png","cat;;cat"\r\n'
        '\r\n'
        'ünï/鳥.jpg,鳥;Café crème\r\n'
        '"two\nlines.jpg",cat\r\n'
        'c.jpg,dog\r\n'.encode('utf-8'))
    rows, problems = rows_of(path)
    assert problems == []
    assert rows == [
        ('row 2', 'a.jpg', ('cat', 'dining table')),
        ('row 3', 'field, north/b.png', ('cat', )),
        ('row 5', 'ünï/鳥.jpg', ('鳥', 'Café crème')),
        ('row 6', 'two\nlines.jpg', ('cat', )),
        ('row 8', 'c.jpg', ('dog', )),  # the quoted field spans 6-7
    ]


def test_json_lists_strings_and_unicode(tmp_path):
    path = tmp_path / 'tags.json'
    path.write_text('{"a.jpg": ["cat", " dining table "], '
                    '"b\\\\c.jpg": "cat;dog", "鳥.png": ["鳥"]}',
                    encoding='utf-8')
    rows, problems = rows_of(path)
    assert problems == []
    assert rows == [('entry 1 ("a.jpg")', 'a.jpg', ('cat', 'dining table')),
                    ('entry 2 ("b\\\\c.jpg")', 'b\\c.jpg', ('cat', 'dog')),
                    ('entry 3 ("鳥.png")', '鳥.png', ('鳥', ))]
    assert normalize_image_path('b\\c.jpg') == 'b/c.jpg'
    assert normalize_image_path('./x//y.jpg') == 'x/y.jpg'


def test_row_problems_name_their_row(tmp_path):
    path = tmp_path / 'tags.csv'
    path.write_text('image,labels\na.jpg,cat\nb.jpg,cat,dog\n,cat\n'
                    'c.jpg\n')
    rows, problems = rows_of(path)
    assert [r[0] for r in rows] == ['row 2', 'row 5']
    assert rows[1][2] == ()  # no tags: the dataset's check names it
    assert problems[0].startswith('row 3: 3 fields, the header has 2')
    assert "separate tags with ';'" in problems[0]
    assert problems[1] == 'row 4: no image'
    path = tmp_path / 'tags.json'
    path.write_text('{"a.jpg": ["cat"], "b.jpg": 3, "c.jpg": [["x"]]}')
    rows, problems = rows_of(path)
    assert [r[1] for r in rows] == ['a.jpg']
    assert problems == [
        'entry 2 ("b.jpg"): tags must be a list of strings, got 3',
        'entry 3 ("c.jpg"): tags must be a list of strings, got [["x"]]']


@pytest.mark.parametrize('name, data, match', [
    ('tags.csv', b'a.jpg,cat\n', r'tags.csv: the first row must name the '
     r"columns image and labels, got \['a.jpg', 'cat'\]"),
    ('tags.csv', b'image;labels\na.jpg;cat\n', "separated by ';', use ','"),
    ('tags.csv', b'image\tlabels\n', 'separated by tabs'),
    ('tags.csv', b'\n\n', 'tags.csv is empty'),
    ('tags.csv', 'image,labels\n'.encode('utf-16'), 'UTF-16'),
    ('tags.csv', b'image,labels\n\xff\xfe\xfa,cat\n', 'not UTF-8'),
    ('tags.json', b'[["a.jpg", ["cat"]]]', 'must hold one object'),
    ('tags.json', b'{"a.jpg": ["cat"]', 'tags.json is not valid JSON'),
    ('tags.tsv', b'image\tlabels\n', r"unknown format '.tsv'"),
])
def test_unreadable_tables_are_named(tmp_path, name, data, match):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(ValueError, match=match):
        read_tag_table(str(path))


def test_missing_table_and_tag_splitting(tmp_path):
    with pytest.raises(FileNotFoundError, match='nope.csv does not exist'):
        read_tag_table(str(tmp_path / 'nope.csv'))
    assert split_tags(' boat; bird;;boat ') == ('boat', 'bird')
    assert split_tags('') == ()
