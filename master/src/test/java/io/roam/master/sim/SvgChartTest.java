package io.roam.master.sim;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import javax.xml.parsers.DocumentBuilderFactory;
import org.junit.jupiter.api.Test;
import org.w3c.dom.Document;
import org.w3c.dom.Element;
import org.w3c.dom.NodeList;

/** The simulator's charts: well-formed SVG whose lines put each point where its value says. */
class SvgChartTest {

  @Test
  void eachSeriesIsAPolylineScaledToItsPanel() throws Exception {
    SvgChart chart = new SvgChart("a <test> & run", "hours", List.of(
        new SvgChart.Panel("imbalance", List.of(new SvgChart.Series("imbalance", "#c00",
            List.of(new double[] {0, 0}, new double[] {1, 0.5}, new double[] {2, 1.0})))),
        new SvgChart.Panel("hosts", List.of(new SvgChart.Series("on", "#00c", List.of(new double[] {0, 8},
            new double[] {2, 4})), new SvgChart.Series("demand", "#777", List.of(new double[] {0, 3},
            new double[] {2, 6}))))));
    Document svg = parse(chart.render());

    NodeList lines = svg.getElementsByTagName("polyline");
    assertThat(lines.getLength()).isEqualTo(3);
    String[] first = ((Element) lines.item(0)).getAttribute("points").split(" ");
    assertThat(first).hasSize(3);
    // x from 0 to 2 spans the plot's width; y 1.0 is the top of a panel whose axis ends at 1.
    int right = SvgChart.WIDTH - SvgChart.RIGHT;
    assertThat(first[0]).isEqualTo(SvgChart.LEFT + ".0," + (SvgChart.TOP + SvgChart.PANEL_HEIGHT) + ".0");
    assertThat(first[2]).isEqualTo(right + ".0," + SvgChart.TOP + ".0");
    // The second panel's axis ends at 10 (the round top above 8): 8 is at 80 % of its height.
    String[] on = ((Element) lines.item(1)).getAttribute("points").split(" ");
    double bottom2 = SvgChart.TOP + 2 * SvgChart.PANEL_HEIGHT + SvgChart.GAP;
    assertThat(Double.parseDouble(on[0].split(",")[1])).isCloseTo(bottom2 - 0.8 * SvgChart.PANEL_HEIGHT,
        org.assertj.core.data.Offset.offset(0.1));
    assertThat(((Element) lines.item(2)).getAttribute("data-name")).isEqualTo("demand");
    assertThat(chart.render()).contains("a &lt;test&gt; &amp; run");
  }

  @Test
  void axesEndAtRoundNumbers() {
    assertThat(SvgChart.niceCeiling(0.37)).isEqualTo(0.5);
    assertThat(SvgChart.niceCeiling(8)).isEqualTo(10);
    assertThat(SvgChart.niceCeiling(21)).isEqualTo(25);
    assertThat(SvgChart.niceCeiling(100)).isEqualTo(100);
    assertThat(SvgChart.niceCeiling(0)).isEqualTo(1);
  }

  @Test
  void aSimulatedRunBecomesAChartWithItsThreeSeries() throws Exception {
    SimReport r = Simulator.run(Scenarios.steady(42));
    Document svg = parse(SimulatorMain.chart(r).render());
    NodeList lines = svg.getElementsByTagName("polyline");
    assertThat(lines.getLength()).isEqualTo(3);
    for (int i = 0; i < lines.getLength(); i++) {
      assertThat(((Element) lines.item(i)).getAttribute("points").split(" ")).hasSize(r.imbalance().size());
    }
  }

  private static Document parse(String xml) throws Exception {
    return DocumentBuilderFactory.newInstance().newDocumentBuilder()
        .parse(new ByteArrayInputStream(xml.getBytes(StandardCharsets.UTF_8)));
  }
}
