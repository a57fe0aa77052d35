import os


def total(items):
    return sum(i["price"] for i in items if i)
