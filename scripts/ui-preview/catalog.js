// The 13-country catalog of shared/reference/catalog.md, in the Catalog shape of docs/ipc.md.
const COUNTRIES = [
  ['CI', "Côte d'Ivoire", '+225', 'XOF', 'M', [['OM', 'Orange Money'], ['MTN', 'MTN MoMo'], ['MOOV', 'Moov Money'], ['WAVE', 'Wave']]],
  ['SN', 'Senegal', '+221', 'XOF', 'M', [['OM', 'Orange Money'], ['WAVE', 'Wave']]],
  ['ML', 'Mali', '+223', 'XOF', 'M', [['OM', 'Orange Money'], ['MOOV', 'Moov Money'], ['WAVE', 'Wave']]],
  ['BF', 'Burkina Faso', '+226', 'XOF', 'M', [['OM', 'Orange Money'], ['MOOV', 'Moov Money'], ['WAVE', 'Wave']]],
  ['BJ', 'Benin', '+229', 'XOF', 'M', [['MTN', 'MTN MoMo'], ['MOOV', 'Moov Money']]],
  ['TG', 'Togo', '+228', 'XOF', 'M', [['MOOV', 'Moov Money (Flooz)'], ['TMONEY', 'T-Money']]],
  ['CM', 'Cameroon', '+237', 'XAF', 'M', [['MTN', 'MTN Mobile Money'], ['OM', 'Orange Money']]],
  ['GN', 'Guinea', '+224', 'GNF', 'M', [['OM', 'Orange Money'], ['MTN', 'MTN MoMo']]],
  ['NE', 'Niger', '+227', 'XOF', 'L', [['AIRTEL', 'Airtel Money'], ['MOOV', 'Moov Money'], ['ZAMANI', 'Zamani Cash'], ['AMANATA', 'Amana'], ['MYNITA', 'Mynita']]],
  ['CG', 'Congo', '+242', 'XAF', 'L', [['MTN', 'MTN MoMo'], ['AIRTEL', 'Airtel Money']]],
  ['GA', 'Gabon', '+241', 'XAF', 'L', [['AIRTEL', 'Airtel Money'], ['MOOV', 'Moov Money']]],
  ['GH', 'Ghana', '+233', 'GHS', 'L', [['MTN', 'MTN MoMo'], ['AIRTELTIGO', 'AirtelTigo Money'], ['VODAFONE', 'Telecel Cash']]],
  ['KE', 'Kenya', '+254', 'KES', 'L', [['MPESA', 'M-Pesa (Safaricom)'], ['AIRTEL', 'Airtel Money']]],
];

export const catalog = {
  version: '2025.11-preview',
  methods: [
    { code: 'MERCHANT', name: 'Collection', description: 'Pay-in from a customer wallet' },
    { code: 'CASHIN', name: 'Disbursement', description: 'Pay-out to a customer wallet' },
    { code: 'CASHOUT', name: 'Cash-out', description: 'Not documented publicly' },
  ],
  countries: COUNTRIES.map(([iso, name, calling, currency, confidence, operators]) => ({
    iso,
    name,
    calling_code: calling,
    currency,
    confidence,
    source: 'ClaPay public docs and integrators',
    operators: operators.map(([code, opName]) => ({
      code, name: opName, methods: ['MERCHANT', 'CASHIN'], unverified_methods: ['CASHOUT'],
    })),
  })),
};
