"""What the simulated customers say: written for the simulator, independently of the NLU training
data and the held-out test set (tests/stack/test_bench.py checks that no sentence here appears there).

Per issue type: `PROBLEMS` (a full sentence about what went wrong) and `TERSE` (a few words).
Per expectation: `WISHES` (free text for the wish). Persona wrappers add anger, rambling and
corrections around them.
"""
from __future__ import annotations

PROBLEMS: dict[str, list[str]] = {
    "product_quality": [
        "买的电热水壶才烧了两回水就不加热了",
        "收到的保温杯盖子拧不严，一倒过来就往外渗水",
        "面霜一打开就一股馊味，感觉早就变质了",
        "新买的牛仔裤第一次下水就开线了，到处是线头",
    ],
    "not_as_described": [
        "详情页写的是纯棉，到手一摸全是化纤的",
        "商品图里是奶白色，寄来的明显发黄",
        "标的四十二码，穿上跟三十九码差不多",
        "页面上说是实木的桌子，拆开一看是刨花板贴的皮",
    ],
    "wrong_or_missing_item": [
        "我拍的是黑色充电头，寄来的是一根白色数据线",
        "下单买了三盒茶叶，箱子里只有两盒",
        "投影仪的包装盒里没有遥控器也没有电源线",
        "拆开发现是别人的东西，压根不是我拍的那个款",
    ],
    "out_of_stock": [
        "付完款三天了，商家突然通知我说这个没有货了",
        "下完单客服说这个颜色断货了，让我自己申请退款",
        "拍下来以后又告诉我仓库里没有库存",
        "订单被商家直接取消了，说是缺货发不了",
    ],
    "logistics_delay": [
        "下单一个星期了，订单还一直显示待发货",
        "物流信息停在中转站五天了，一点都没更新",
        "页面上承诺四十八小时内发货，现在已经第四天了",
        "包裹在路上走了十来天了，到现在还没送到",
    ],
    "package_damaged_or_lost": [
        "快递箱子送到的时候已经压扁了，里面的碗碎了两个",
        "物流上显示已经签收了，可是我根本没拿到东西",
        "快递公司说我的包裹在运输途中弄丢了，找不回来",
        "外箱湿透了还破了个大洞，里面的书全泡烂了",
    ],
    "courier_attitude": [
        "快递员不肯送上楼，直接把东西扔在小区门口就走了",
        "送件的小哥打电话的时候骂骂咧咧，态度特别恶劣",
        "快递员没打电话就把件放驿站了，还说我不在家",
        "配送员非让我自己下楼到路口去拿，不然就给我退回去",
    ],
    "service_attitude": [
        "问了你们客服三遍，每次都是复制粘贴的那几句话",
        "你们客服说话阴阳怪气的，一点问题都不给解决",
        "给你们客服留言两天了，一个回复的人都没有",
        "客服让我等一下，结果我等了一下午都没有下文",
    ],
    "after_sales_refund": [
        "退货寄回去一个礼拜了，钱到现在还没退给我",
        "申请售后被你们拒绝了，连个理由都不给",
        "退款申请交上去五天了，一直显示在审核中",
        "换货的东西早就寄回去了，到现在都没人处理",
    ],
    "payment_issue": [
        "付款的时候页面卡住了，结果银行卡被扣了两次钱",
        "支付页面显示失败，可是我卡里的钱已经扣掉了",
        "同一个订单微信给我扣了两回钱",
        "钱都付完了，订单还是显示待付款",
    ],
    "promotion_issue": [
        "领的满三百减五十的券，结账的时候死活用不了",
        "活动页面写着买二送一，下单只给我算了两件",
        "活动说好下单送的小礼品，收到的包裹里没有",
        "参加了你们的返现活动，确认收货半个月了还没返给我",
    ],
    "price_dispute": [
        "我才买了两天，这东西就降了八十块",
        "同样的东西今天下单比我那时候便宜了一大截",
        "申请价保被拒了，明明还在保价期内",
        "直播间里的价格比我在店里买的低了好多",
    ],
    "other_complaint": [
        "发票的抬头开错了，找了好几次都不给重开",
        "你们一天给我打了好几个推销电话，烦得要命",
        "退订了短信，你们还是天天给我发广告",
        "我在你们店留的手机号好像被泄露了，天天接到骚扰电话",
    ],
}

TERSE: dict[str, list[str]] = {
    "product_quality": ["水壶坏了", "杯子漏水", "鞋底开胶了"],
    "not_as_described": ["颜色跟图片差太多", "尺码和描述对不上", "材质和页面写的不一样"],
    "wrong_or_missing_item": ["箱子里缺了一样", "给我发错东西了", "少了配件"],
    "out_of_stock": ["下了单说没货", "付了钱又说缺货"],
    "logistics_delay": ["拍了好久都不见发出", "物流好几天不动了", "快递太慢了"],
    "package_damaged_or_lost": ["显示签收了但我没收到", "箱子送来就扁了", "件在路上没了"],
    "courier_attitude": ["送件的人很凶", "送件的不肯上楼"],
    "service_attitude": ["你们客服很冲", "客服一直不回消息"],
    "after_sales_refund": ["退款一直不到账", "售后申请被驳回了"],
    "payment_issue": ["钱被扣了两次", "付款失败钱却扣了"],
    "promotion_issue": ["券结账时不抵扣", "赠品没有送"],
    "price_dispute": ["前脚买后脚就便宜", "刚买就便宜了好多"],
    "other_complaint": ["票据抬头有误", "推销电话太多了"],
}

WISHES: dict[str, list[str]] = {
    "refund": ["直接把钱退给我就行", "我只要退款，东西不用了", "退钱吧"],
    "return_refund": ["我要退货，钱退回来", "东西我寄回去，你们把钱退了", "退货退钱"],
    "exchange": ["给我换一个新的", "我想换货", "换个好的给我"],
    "resend": ["把少的那份给我补寄过来", "给我补发一个", "重新给我发一份"],
    "compensation": ["你们得给我赔偿", "要给我一些补偿", "我要求赔偿损失"],
    "repair": ["能不能帮我修好", "我想拿去维修", "安排人给我修一下"],
    "expedite": ["赶紧给我发出来", "帮我催一下，我急着用", "加急处理一下"],
    "explanation": ["我就要一个说法", "你们必须给我道歉", "给我解释清楚怎么回事"],
}

# Which wishes fit which problem (a customer does not ask to repair a late parcel).
GOAL_WISHES: dict[str, list[str]] = {
    "product_quality": ["return_refund", "exchange", "repair", "refund"],
    "not_as_described": ["return_refund", "refund", "exchange"],
    "wrong_or_missing_item": ["resend", "exchange", "refund"],
    "out_of_stock": ["refund", "compensation", "expedite"],
    "logistics_delay": ["expedite", "refund"],
    "package_damaged_or_lost": ["resend", "refund", "compensation"],
    "courier_attitude": ["explanation", "compensation"],
    "service_attitude": ["explanation", "compensation"],
    "after_sales_refund": ["refund", "explanation"],
    "payment_issue": ["refund"],
    "promotion_issue": ["compensation", "refund"],
    "price_dispute": ["refund", "compensation"],
    "other_complaint": ["explanation", "other"],
}
WISHES["other"] = ["你们看着处理就行", "我也说不好，你们看怎么处理"]

# Persona wrappers.
ANGRY_OPENERS = ["气死我了！", "你们这什么店啊！", "太离谱了！", "真的无语了！"]
ANGRY_CLOSERS = ["！！你们到底管不管？", "，再不处理我就给差评了！", "！！！", "，什么破服务！"]
ANGRY_ORDER = ["{order}，快点查！", "订单号{order}，赶紧的", "{order}！别让我再说一遍"]
ANGRY_WISH = ["{wish}！马上！", "{wish}，别跟我扯别的", "还能怎样？{wish}！"]
RAMBLE_OPENERS = [
    "你好，我跟你说一下情况啊，上个月给我爸买的生日礼物，",
    "唉，本来这两天心情就不好，想着网上买点东西，",
    "我平时很少投诉的，这次实在忍不住了，事情是这样的，",
    "在吗，我先说清楚，我是你们的老顾客了，",
]
RAMBLE_CLOSERS = [
    "，我还以为是我自己弄错了，问了家里人都说不是。",
    "，这几天一直在忙，今天才有空来找你们。",
    "，说实话挺失望的，之前在你们家买东西都挺好。",
]
RAMBLE_ORDER = ["我翻了半天订单列表，找到了，是{order}，你看一下", "订单号的话……应该是这个：{order}，你帮我查查",
                "稍等我找找，嗯，订单号{order}"]
RAMBLE_WISH = ["我想了想，{wish}吧，也不想再折腾了", "其实也没别的要求，{wish}", "跟家里人商量了一下，{wish}"]
LONG_TEMPLATES = [
    "{problem}，订单号是{order}，{wish}，麻烦尽快处理。",
    "你好，订单{order}，{problem}，{wish}。",
    "{problem}。我的订单号：{order}。{wish}，谢谢。",
]
LONG_NO_ORDER = ["{problem}，订单号我找不到了，{wish}。"]
DONT_KNOW = ["我不知道订单号", "订单号找不到了", "不记得订单号了，能不能用手机号查", "没有订单号，是别人帮我下的单"]
HUMAN = ["我要找人工客服", "帮我转人工", "别让机器人回了，叫个真人来", "转人工，谢谢"]
AFFIRM = ["对，提交吧", "没问题", "是的，就这样", "嗯，对的"]
DENY = ["不对", "有问题，要改一下"]
ORDER_FIX = ["订单号不对，应该是{order}", "不好意思刚才发错了，订单号是{order}", "订单号改成{order}"]
SELF_WISH_FIX = ["我改主意了，{wish}", "想了想还是换个处理方式，{wish}"]  # corrects_themselves
WISH_FIX = ["不是这个，{wish}", "诉求写错了，{wish}"]  # the bot got the wish wrong
ISSUE_FIX = ["问题不是这个，是{problem}", "不对，我说的是{problem}"]
# A second try at the same correction names the summary's own labels, as people do.
WISH_FIX_LABEL = ["诉求不是{wrong}，是{right}", "我要的是{right}，不是{wrong}"]
ISSUE_FIX_LABEL = ["问题不是{wrong}，是{right}", "问题类型应该是{right}"]
NO_ORDER_FIX = ["订单号我没有给过，不知道订单号"]
PLAIN_ORDER = ["{order}", "订单号{order}", "是{order}"]
NUDGE = ["就是这些，帮我登记一下吧", "你们快处理吧"]
