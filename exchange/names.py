"""Word lists for the people and firms the exchange makes up: representatives, extra firms."""

from __future__ import annotations

# Common surnames, weighted towards those frequent in Fujian by listing them first and twice.
SURNAMES = (
    "陈林黄张吴郑王李刘蔡杨许谢洪郭邱曾廖赖徐周叶苏庄吕江何罗高游詹施沈余卢梁朱彭方石"
    "陈林黄张吴郑王李"
)
GIVEN_CHARACTERS = (
    "建国华明志强伟文俊杰丽芳秀英雅琴海涛宇航振兴德福金水春梅晓东永平清泉惠民"
    "思远鸿达雨婷丽君美玲文斌承志家豪子涵欣怡佳琪婉清振华国栋立新世杰"
)

# Fujian's prefecture-level cities (GB/T 2260) and a few district or county suffixes of each:
# identity numbers carry the district of household registration, credit codes the city.
CITIES = (
    ("350100", "福州"),
    ("350200", "厦门"),
    ("350300", "莆田"),
    ("350400", "三明"),
    ("350500", "泉州"),
    ("350600", "漳州"),
    ("350700", "南平"),
    ("350800", "龙岩"),
    ("350900", "宁德"),
)
DISTRICT_SUFFIXES = ("02", "03", "04", "05", "11", "21", "22", "81", "82")

BRAND_CHARACTERS = "鑫源泰恒盛达华兴隆宏发瑞丰嘉祥海峡闽榕鹭凯锦新创博通"

# GB/T 4754 divisions the extra firms are spread over, with a word for each firm name.
EXTRA_INDUSTRIES = (
    ("13", "食品"),
    ("19", "鞋业"),
    ("29", "塑胶"),
    ("34", "机械"),
    ("39", "电子科技"),
    ("51", "贸易"),
    ("54", "物流"),
    ("62", "餐饮管理"),
    ("65", "软件技术"),
    ("72", "企业管理咨询"),
)
