package gen

import (
	"math/rand/v2"
	"strconv"
)

// Word lists for realistic Chinese names, companies, phones and addresses.
// Surnames are drawn by their rough frequency in China (王, 李, 张 and 刘
// alone cover a quarter of the people), so searches by a common name find
// many rows and by a rare one few, as in real data.
var (
	surnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
		"何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾", "肖", "田", "董",
		"袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁", "任", "沈", "姚", "卢", "姜", "崔",
		"钟", "谭", "陆", "汪", "范", "金", "石", "廖", "贾", "夏", "韦", "付", "方", "白", "邹", "孟", "熊", "秦", "邱",
		"江", "尹", "薛", "闫", "段", "雷", "侯", "龙", "史", "陶", "黎", "贺", "顾", "毛", "郝", "龚", "邵", "万", "钱",
		"欧阳", "司马", "上官"}
	// surnameWeights: the first surnames are much more common.
	surnameCum = func() []float64 {
		cum := make([]float64, len(surnames))
		s := 0.0
		for i := range surnames {
			s += 1 / float64(i+4)
			cum[i] = s
		}
		for i := range cum {
			cum[i] /= s
		}
		return cum
	}()
	givenOne = []string{"伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
		"超", "霞", "平", "刚", "辉", "鹏", "华", "飞", "鑫", "波", "宇", "浩", "凯", "健", "俊", "帆", "帅", "旭", "宁",
		"龙", "林", "欢", "阳", "建", "峰", "亮", "成", "婷", "雪", "琳", "晶", "倩", "颖", "琴"}
	givenTwo = []string{"秀英", "桂英", "秀兰", "建华", "建国", "志强", "海燕", "晓明", "文博", "浩然", "思远", "雨涵",
		"子轩", "梓涵", "一诺", "欣怡", "佳怡", "俊杰", "宇航", "晨曦", "嘉怡", "明轩", "子豪", "博文", "诗涵", "雅琪",
		"天佑", "若曦", "家豪", "振华", "国强", "丽娟", "春梅", "玉兰", "红霞", "志刚", "晓东", "建军", "永强", "立新"}

	cities = []string{"上海", "北京", "深圳", "广州", "杭州", "苏州", "南京", "成都", "武汉", "天津", "重庆", "西安",
		"宁波", "无锡", "青岛", "厦门", "长沙", "郑州", "济南", "合肥", "福州", "东莞", "佛山", "昆明", "大连", "沈阳",
		"常州", "温州", "绍兴", "嘉兴", "南通", "徐州", "烟台", "泉州", "珠海", "中山", "南昌", "贵阳", "南宁", "太原",
		"石家庄", "哈尔滨", "长春", "兰州", "乌鲁木齐", "呼和浩特", "海口", "台州", "金华", "扬州"}
	districts = []string{"浦东新区", "高新区", "经济开发区", "工业园区", "朝阳区", "海淀区", "南山区", "天河区",
		"西湖区", "江宁区", "武侯区", "滨海新区", "雨花台区", "黄浦区", "福田区", "余杭区", "新城区", "开发区"}
	roads = []string{"人民路", "中山路", "解放路", "建设路", "科技路", "创新大道", "长江路", "黄河路", "学院路",
		"滨江大道", "工业大道", "世纪大道", "友谊路", "和平路", "光明路", "东风路", "南京路", "延安路"}
	// brandChars make up the two-character trade names (字号) of companies.
	brandChars = []rune("华鑫盛泰恒达通汇宏裕丰嘉瑞祥鸿源德信诚安康隆兴昌荣博远卓越锐创智联新科力航天海蓝宇星辰" +
		"金银铭鼎晟昊宸睿凯旭腾飞云启明亿万众合美佳优尚品益润泽森林峰岳川江湖山北南东西中正和顺利平")
	trades = []string{"科技", "智能科技", "信息技术", "电子", "精密机械", "新材料", "医疗器械", "生物科技",
		"教育科技", "物流", "供应链管理", "食品", "贸易", "环保设备", "建材", "化工", "汽车零部件", "电气",
		"软件", "网络科技", "文化传媒", "家居", "服饰", "包装材料", "光电", "能源", "农业科技", "仪器仪表",
		"自动化设备", "餐饮管理"}
	kinds  = []string{"有限公司", "有限公司", "有限公司", "股份有限公司", "集团有限公司", "有限责任公司"}
	shops  = []string{"商行", "经营部", "工作室", "门市部", "批发部", "贸易商行"}
	titles = []string{"采购经理", "总经理", "技术总监", "行政主管", "副总裁", "项目经理", "财务经理", "采购专员",
		"董事长", "运营总监", "IT 经理", "生产经理", "销售总监", "办公室主任"}
	leadNotes = []string{"", "", "", "官网留言咨询产品价格。", "展会上交换了名片。", "客户主动来电咨询。",
		"老客户介绍，意向较强。", "对方在比较三家供应商。", "预算审批中。", "需要先发资料再约拜访。"}
	followUpTexts = []string{
		"电话沟通了采购需求，对方预计下月启动招标。",
		"微信发送了产品资料和报价区间，客户表示会内部讨论。",
		"上门拜访，见到了技术负责人，现场演示了产品。",
		"客户反馈预算有限，约定两周后再跟进。",
		"参加了客户组织的需求评审会议，记录了三项关键需求。",
		"邮件确认了样品寄送地址，样品已发出。",
		"客户对交付周期有顾虑，已请生产部门评估。",
		"与采购负责人确认了付款方式：预付三成，验收后付清。",
		"电话未接通，已发短信说明来意。",
		"客户询问年度维保方案，已发送服务条款。",
		"陪同客户参观了样板工厂，反馈积极。",
		"客户内部人事调整，新的对接人是采购部副经理。",
		"报价已提交，客户认为价格偏高，希望再给一些折扣。",
		"确认了合同条款，法务正在审核。",
		"客户投诉上批货物包装破损，已安排补发。",
		"年底回访，客户计划明年扩大采购规模。",
		"微信群里解答了客户关于接口对接的技术问题。",
		"客户暂无需求，三个月后再联系。",
		"组织了线上产品培训，对方五人参加。",
		"拜访了客户新厂区，了解到二期扩产计划。",
	}
	campaignNames = []string{"工业博览会", "线上推广", "智能制造研讨会", "双十一促销", "新品发布会", "行业峰会",
		"客户答谢会", "春季采购节", "短视频投放", "搜索引擎推广", "地推活动", "渠道大会", "技术沙龙", "直播带货",
		"年中大促", "校企合作论坛", "展厅开放日", "公众号推广"}
	opportunityNames = []string{"产线自动化改造", "新厂区设备采购", "MES 系统上线", "年度维保续约", "数控设备升级",
		"传感器批量采购", "ERP 对接项目", "二期扩产", "办公信息化", "仓储物流优化", "质检设备更新", "能源管理平台",
		"年度框架采购", "售后服务包", "培训服务采购", "备品备件补充"}
	productCategories = []struct {
		name, unit string
		low, high  int // list price range in yuan
	}{
		{"设备", "台", 20000, 500000}, {"配件", "个", 50, 8000}, {"软件", "套", 5000, 200000},
		{"服务", "次", 800, 50000}, {"耗材", "箱", 100, 3000}, {"订阅", "年", 3000, 120000},
	}
	productWords = []string{"数控加工中心", "伺服电机", "可编程控制器", "激光位移传感器", "工业相机", "减速机",
		"变频器", "触摸屏", "机械臂", "气动元件", "刀具套装", "检测仪", "MES 模块", "ERP 接口", "安装调试服务",
		"操作培训", "年度维保", "备件包", "润滑油", "防护罩", "控制柜", "工控机", "扫码枪", "条码打印机"}
	paymentMethods = []string{"bank_transfer", "bank_transfer", "bank_transfer", "alipay", "wechat", "acceptance_bill", "cheque", "cash"}
)

// person returns a Chinese full name.
func person(r *rand.Rand) string {
	x := r.Float64()
	i := 0
	for i < len(surnameCum)-1 && surnameCum[i] < x {
		i++
	}
	if r.IntN(3) == 0 {
		return surnames[i] + givenOne[r.IntN(len(givenOne))]
	}
	return surnames[i] + givenTwo[r.IntN(len(givenTwo))]
}

// brand returns a two-character trade name.
func brand(r *rand.Rand) string {
	return string([]rune{brandChars[r.IntN(len(brandChars))], brandChars[r.IntN(len(brandChars))]})
}

// company returns a company name: city, trade name, trade, legal form.
func company(r *rand.Rand) string {
	return cities[r.IntN(len(cities))] + brand(r) + trades[r.IntN(len(trades))] + kinds[r.IntN(len(kinds))]
}

// customerName returns the name of a customer: mostly companies, some
// individual businesses and private buyers named after a person.
func customerName(r *rand.Rand) string {
	switch x := r.IntN(100); {
	case x < 8:
		return person(r)
	case x < 14:
		return cities[r.IntN(len(cities))] + districts[r.IntN(len(districts))] + brand(r) + shops[r.IntN(len(shops))]
	default:
		return company(r)
	}
}

// mobile returns an 11-digit mobile number.
func mobile(r *rand.Rand) string {
	b := make([]byte, 0, 11)
	b = append(b, '1', "3456789"[r.IntN(7)])
	return string(strconv.AppendInt(b, 100_000_000+r.Int64N(900_000_000), 10))
}

// landline returns a landline number with its area code.
func landline(r *rand.Rand) string {
	codes := []string{"021", "010", "0755", "020", "0571", "0512", "025", "028", "027", "022"}
	return codes[r.IntN(len(codes))] + "-" + strconv.Itoa(20_000_000+r.IntN(79_999_999))
}

// address returns a street address.
func address(r *rand.Rand) string {
	return cities[r.IntN(len(cities))] + "市" + districts[r.IntN(len(districts))] + roads[r.IntN(len(roads))] +
		strconv.Itoa(1+r.IntN(999)) + "号"
}

// email returns an address at a made-up company domain.
func email(r *rand.Rand, id int64) string {
	doms := []string{"qq.com", "163.com", "126.com", "corp.cn", "example.cn", "foxmail.com", "sina.com"}
	return "u" + strconv.FormatInt(id, 36) + "@" + doms[r.IntN(len(doms))]
}
