/* The seven approved CAR-T products and the published numbers the generator is calibrated to.
   Sources and confidence marks are in ../shared/domain/cart.md, table (b); values marked there
   as recalled (not re-seen) are used as stated and listed in README "Synthetic cohort". */
#include <carta/simulate.h>

static const carta_sim_product products[] = {
    /* name, trial, target, costim, disease, scale, n, CRS any, CRS >=3, onset (days),
       neurotoxicity any, >=3, dose (10^6 cells/kg),
       OS landmarks (months, S), PFS landmarks (months, S) */
    { "axi-cel", "ZUMA-1", "CD19", "CD28", "LBCL", "LEE2014", 101, 0.93, 0.13, 2, 0.64, 0.28, 2.0,
      { 24, 0 }, { 0.505, 0 }, { 5.9, 0 }, { 0.5, 0 } },
    { "tisa-cel-LBCL", "JULIET", "CD19", "4-1BB", "LBCL", "PENN", 111, 0.58, 0.22, 3, 0.21, 0.12, 3.0,
      { 12, 0 }, { 0.5, 0 }, { 2.9, 0 }, { 0.5, 0 } },
    { "tisa-cel-ALL", "ELIANA", "CD19", "4-1BB", "ALL", "PENN", 75, 0.77, 0.46, 3, 0.40, 0.13, 3.0,
      { 12, 36 }, { 0.76, 0.63 }, { 12, 36 }, { 0.50, 0.44 } },
    { "liso-cel", "TRANSCEND NHL 001", "CD19", "4-1BB", "LBCL", "LEE2014", 269, 0.42, 0.02, 5, 0.30, 0.10, 0.7,
      { 21.1, 0 }, { 0.5, 0 }, { 6.8, 0 }, { 0.5, 0 } },
    { "brexu-cel", "ZUMA-2", "CD19", "CD28", "MCL", "LEE2014", 68, 0.91, 0.15, 2, 0.63, 0.31, 2.0,
      { 12, 0 }, { 0.83, 0 }, { 12, 0 }, { 0.61, 0 } },
    { "ide-cel", "KarMMa", "BCMA", "4-1BB", "MM", "LEE2014", 128, 0.84, 0.05, 1, 0.18, 0.03, 5.0,
      { 19.4, 0 }, { 0.5, 0 }, { 8.8, 0 }, { 0.5, 0 } },
    { "cilta-cel", "CARTITUDE-1", "BCMA", "4-1BB", "MM", "ASTCT", 97, 0.95, 0.05, 7, 0.17, 0.02, 0.7,
      { 12, 27 }, { 0.885, 0.70 }, { 12, 27 }, { 0.766, 0.55 } },
};

const carta_sim_product *carta_sim_products(int *n)
{
    *n = (int)(sizeof products / sizeof products[0]);
    return products;
}
