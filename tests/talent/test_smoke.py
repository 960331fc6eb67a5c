from talent.models import Division


def test_divisions_within(hunan):
    assert set(Division.objects.within("430104000000").values_list("code", flat=True)) == {
        "430104000000",
        "430104100000",
        "430104100201",
        "430104100001",
    }
