/**
 * Original stories for the related-reading and assist tests: three subjects told across channels, and stories
 * that share a channel or a date with them but not a subject.
 */
export interface Story {
  title: string;
  channel: string;
  tags: string[];
  body: string;
}

const p = (...paragraphs: string[]) => paragraphs.map((t) => `<p>${t}</p>`).join('');

/** Migratory birds at the Yanhu wetland: local news, science and culture tell the same subject. */
export const birds = {
  arrival: {
    title: '砚湖湿地迎来首批越冬候鸟',
    channel: 'difang/yaowen',
    tags: ['砚湖湿地', '候鸟'],
    body: p(
      '本报讯（记者 林若溪）连日来，成群的越冬候鸟陆续飞抵砚湖湿地。保护区监测站的观测数据显示，首批抵达的小天鹅、白琵鹭和灰鹤已超过3000只，比去年同期提前了一周。',
      '监测站负责人介绍，湿地去年完成了退塘还湿工程，浅滩和芦苇面积明显扩大，鱼虾等食物更加充足，吸引候鸟提前南下越冬。',
      '保护区提醒市民，观鸟时请保持安静，不要投喂候鸟，不要使用无人机靠近鸟群，以免惊扰越冬的候鸟。',
    ),
  },
  tracking: {
    title: '卫星追踪器揭示越冬候鸟的迁徙路线',
    channel: 'keji',
    tags: ['候鸟', '卫星追踪'],
    body: p(
      '江城大学生态学团队为砚湖湿地的12只灰鹤和小天鹅佩戴了轻量化卫星追踪器，首次完整记录下这些候鸟从北方繁殖地到砚湖越冬的迁徙路线。',
      '追踪数据显示，候鸟在迁徙途中会在黄河沿岸的湿地停歇补充能量，单程飞行距离超过2000公里。研究人员表示，停歇湿地的保护状况直接影响越冬候鸟的数量。',
      '团队计划把追踪数据向保护区开放，帮助监测站在候鸟集中抵达时调整湿地水位，为越冬候鸟留出更多觅食浅滩。',
    ),
  },
  exhibition: {
    title: '“湿地的翅膀”摄影展开幕 百余幅作品定格候鸟身影',
    channel: 'wenhua',
    tags: ['摄影展', '候鸟'],
    body: p(
      '以砚湖湿地候鸟为主题的“湿地的翅膀”摄影展昨日在市美术馆开幕，展出的130余幅作品来自40多位摄影爱好者，记录了小天鹅、灰鹤和白琵鹭在湿地越冬的身影。',
      '不少作品拍摄于清晨的芦苇荡，候鸟成群起飞的瞬间令观众驻足。策展人说，这些照片都是在不惊扰鸟群的前提下远距离拍摄的，希望观众在欣赏候鸟之美的同时了解湿地保护。',
    ),
  },
  volunteers: {
    title: '护鸟志愿者巡护砚湖湿地 守护越冬候鸟',
    channel: 'difang',
    tags: ['候鸟', '志愿者'],
    body: p(
      '入冬以来，200多名护鸟志愿者轮流巡护砚湖湿地，劝阻在候鸟栖息地附近放风筝、燃放鞭炮的行为，清理湿地浅滩上的废弃渔网。',
      '志愿者队长说，越冬候鸟对人类活动十分敏感，巡护的重点是候鸟集中觅食的芦苇荡和浅滩。保护区已在湿地入口设置了观鸟指引牌。',
    ),
  },
} satisfies Record<string, Story>;

/** Recycling of electric-vehicle batteries: business and science. */
export const batteries = {
  plant: {
    title: '动力电池回收产业园投产 年处理退役电池5万吨',
    channel: 'caijing',
    tags: ['动力电池', '回收'],
    body: p(
      '江城经开区动力电池回收产业园日前投产，一期工程每年可拆解处理退役动力电池5万吨，回收锂、钴、镍等金属材料。',
      '园区负责人介绍，退役电池先经过检测分级，容量较高的电池组改造后用于储能电站和通信基站，其余电池再进行破碎和湿法冶金回收。',
    ),
  },
  lab: {
    title: '新工艺让退役动力电池中的锂回收率超过九成',
    channel: 'keji',
    tags: ['动力电池', '锂'],
    body: p(
      '江城理工大学材料团队研发出一种低温浸出工艺，可从退役动力电池的正极材料中回收锂，回收率超过九成，能耗比传统湿法冶金降低三成。',
      '团队正与电池回收企业合作建设中试线，验证新工艺在退役电池规模化回收中的稳定性。',
    ),
  },
} satisfies Record<string, Story>;

/** Stories on other subjects, some in the same channels and on the same days as the ones above. */
export const unrelated = {
  elevators: {
    title: '老旧小区加装电梯提速 今年已有86部电梯投入使用',
    channel: 'difang/yaowen',
    tags: ['老旧小区改造', '加装电梯'],
    body: p(
      '江城老旧小区加装电梯工作今年明显提速，已有86部电梯建成投入使用，另有120部正在施工。住在六楼的张阿姨说，过去上下楼要歇好几次，现在出门方便多了。',
      '住建部门简化了加装电梯的审批流程，并对低楼层住户的采光和通风影响给予补偿协商指导。',
    ),
  },
  marathon: {
    title: '江城马拉松鸣枪开跑 三万名跑者穿越城市中轴线',
    channel: 'tiyu',
    tags: ['马拉松', '体育'],
    body: p(
      '2026江城马拉松昨日鸣枪开跑，三万名跑者从体育中心出发，沿城市中轴线跑过老城街巷和滨江大道。男子组冠军以2小时9分的成绩打破赛会纪录。',
      '赛事组委会在沿途设置了42个补给站和多个医疗点，数百名志愿者为跑者提供服务。',
    ),
  },
  prints: {
    title: '木版年画传承人走进校园 学生体验雕版印刷',
    channel: 'wenhua',
    tags: ['非遗', '木版年画'],
    body: p(
      '市级非物质文化遗产木版年画的传承人近日走进实验小学，向学生讲解年画的起稿、刻版和印刷工序，并指导学生亲手印制了一幅门神年画。',
      '学校计划开设年画社团，邀请传承人定期授课，让更多孩子了解这门传统手艺。',
    ),
  },
} satisfies Record<string, Story>;

/** A development-zone report full of figures, for the assists. */
export const scienceCityReport = {
  title: '砚湖科学城创新动能持续增强',
  body: p(
    '本报讯（记者 周明远）记者从砚湖科学城管委会获悉，科学城已成为全市创新密度最高的区域，平均每平方公里创造312亿元产值。',
    '科学城布局的26个科技设施平台已有21个投入运行，累计服务科研团队1800多个。今年前三季度，科学城规模以上企业总收入同比增长11.5%，增速比全市平均水平高出4.2个百分点。',
    '与此同时，科学城加快引育创新主体，新增国家级专精特新企业37家，技术合同成交额达到86亿元。',
    '管委会表示，下一步将围绕人工智能和生命科学两大方向，再建设一批开放共享的科技设施平台。',
  ),
};

/**
 * birds.tracking as another paper ran it: its own headline and dateline, a few words changed, the last sentence cut.
 * A near-duplicate check must find the original from this.
 */
export const syndicatedTracking = {
  title: '江城大学团队追踪灰鹤 首次完整记录候鸟迁徙路线',
  body: p(
    '滨海晚报讯 江城大学生态学团队为砚湖湿地的12只灰鹤和小天鹅佩戴了轻量化卫星追踪器，首次完整记录下这些候鸟从北方繁殖地飞到砚湖越冬的迁徙路线。',
    '追踪数据表明，候鸟在迁徙途中会在黄河沿岸的湿地停歇补充体力，单程飞行距离超过2000公里。研究人员表示，停歇湿地的保护状况直接影响越冬候鸟的数量。',
    '团队计划把追踪数据向保护区开放，帮助监测站在候鸟集中抵达时调整湿地水位。',
  ),
};
